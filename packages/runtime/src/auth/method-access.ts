import type { Permission } from '@dist-exec/core';

/**
 * The one table of who may call what, for every method the master and the
 * workers serve (full gRPC paths). The auth interceptor refuses a method that
 * is not listed here, so a new RPC is closed until someone decides its row.
 *
 * Health stays open: load balancers, Docker and Kubernetes probe it without
 * a token. Reflection stays open too: it serves only the public contract in
 * proto/ (service and message descriptors, never data), and grpcurl needs it
 * to describe the API before one has a token; every call it describes is
 * still checked here.
 *
 * Handlers check what a table cannot: a worker token acts only on its own
 * node (its node secret), and only admins get job env values.
 */
export const METHOD_ACCESS: ReadonlyMap<string, Permission> = new Map<string, Permission>([
  // JobService: submit and cancel need a submit token; reads a read token.
  ['/distexec.v1.JobService/SubmitJob', 'submit'],
  ['/distexec.v1.JobService/SubmitJobs', 'submit'],
  ['/distexec.v1.JobService/RunJob', 'submit'],
  ['/distexec.v1.JobService/CancelJob', 'submit'],
  ['/distexec.v1.JobService/GetJob', 'read'],
  ['/distexec.v1.JobService/ListJobs', 'read'],
  ['/distexec.v1.JobService/WatchJob', 'read'],
  ['/distexec.v1.JobService/WatchJobs', 'read'],
  // NodeService: what workers do about their own node, and what anyone who reads may see.
  ['/distexec.v1.NodeService/Register', 'worker'],
  ['/distexec.v1.NodeService/Heartbeat', 'worker'],
  ['/distexec.v1.NodeService/Heartbeats', 'worker'],
  ['/distexec.v1.NodeService/Deregister', 'worker'],
  ['/distexec.v1.NodeService/DrainNode', 'worker'],
  ['/distexec.v1.NodeService/UndrainNode', 'worker'],
  ['/distexec.v1.NodeService/ListNodes', 'read'],
  ['/distexec.v1.NodeService/GetCluster', 'read'],
  // TokenService: admins only.
  ['/distexec.v1.TokenService/CreateToken', 'admin'],
  ['/distexec.v1.TokenService/ListTokens', 'admin'],
  ['/distexec.v1.TokenService/RevokeToken', 'admin'],
  // A worker's ExecutionService: only the master it registered with.
  ['/distexec.v1.ExecutionService/Execute', 'master'],
  ['/distexec.v1.ExecutionService/Cancel', 'master'],
  ['/distexec.v1.ExecutionService/Dispatch', 'master'],
  // Open to all.
  ['/grpc.health.v1.Health/Check', 'open'],
  ['/grpc.health.v1.Health/Watch', 'open'],
  ['/grpc.health.v1.Health/List', 'open'],
  ['/grpc.reflection.v1.ServerReflection/ServerReflectionInfo', 'open'],
  ['/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo', 'open'],
]);

/** `SubmitJob` from `/distexec.v1.JobService/SubmitJob`, for messages. */
export function methodName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
