// Original file: proto/distexec/v1/types.proto

export const NodeState = {
  NODE_STATE_UNSPECIFIED: 'NODE_STATE_UNSPECIFIED',
  NODE_STATE_HEALTHY: 'NODE_STATE_HEALTHY',
  NODE_STATE_UNHEALTHY: 'NODE_STATE_UNHEALTHY',
  NODE_STATE_DRAINING: 'NODE_STATE_DRAINING',
  NODE_STATE_LOST: 'NODE_STATE_LOST',
} as const;

export type NodeState =
  | 'NODE_STATE_UNSPECIFIED'
  | 0
  | 'NODE_STATE_HEALTHY'
  | 1
  | 'NODE_STATE_UNHEALTHY'
  | 2
  | 'NODE_STATE_DRAINING'
  | 3
  | 'NODE_STATE_LOST'
  | 4

export type NodeState__Output = typeof NodeState[keyof typeof NodeState]
