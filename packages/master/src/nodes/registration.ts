import { checkNodeId, InvalidArgumentError } from '@dist-exec/core';

/** What a worker tells about itself when it registers. */
export interface NodeRegistration {
  id: string;
  address: string;
  capabilities: string[];
  maxTasks: number;
  labels: Record<string, string>;
  cpus: number;
  memoryBytes: number;
  weight: number;
  version: string;
  draining: boolean;
  /** What the master presents when it calls the worker's ExecutionService ('' = nothing). */
  executionSecret: string;
  /** Name of the token the worker registered with (its nodes go when the token is revoked). */
  tokenName: string;
}

const MAX_TASKS_LIMIT = 10_000;
const MAX_WEIGHT = 1000;

/** Validates a registration from the wire; throws INVALID_ARGUMENT naming the field. */
export function checkRegistration(registration: NodeRegistration): NodeRegistration {
  checkNodeId(registration.id, 'nodeId');
  if (!/^[^\s/]+:\d{1,5}$/.test(registration.address)) {
    throw new InvalidArgumentError(`address: "${registration.address}" is not host:port`, { field: 'address' });
  }
  if (
    !Number.isInteger(registration.maxTasks) ||
    registration.maxTasks < 1 ||
    registration.maxTasks > MAX_TASKS_LIMIT
  ) {
    throw new InvalidArgumentError(`maxTasks: ${registration.maxTasks} is out of range; use 1 to ${MAX_TASKS_LIMIT}`, {
      field: 'maxTasks',
    });
  }
  if (registration.capabilities.length === 0) {
    throw new InvalidArgumentError('capabilities: a worker must offer at least one executor type', {
      field: 'capabilities',
    });
  }
  if (!Number.isFinite(registration.cpus) || registration.cpus < 0) {
    throw new InvalidArgumentError(`cpus: ${registration.cpus} is not a cpu count`, { field: 'cpus' });
  }
  if (!Number.isSafeInteger(registration.memoryBytes) || registration.memoryBytes < 0) {
    throw new InvalidArgumentError(`memoryBytes: ${registration.memoryBytes} is not a size in bytes`, {
      field: 'memoryBytes',
    });
  }
  if (registration.executionSecret.length > 256) {
    throw new InvalidArgumentError('executionSecret: longer than 256 characters', { field: 'executionSecret' });
  }
  const weight = registration.weight || 1;
  if (!Number.isInteger(weight) || weight < 1 || weight > MAX_WEIGHT) {
    throw new InvalidArgumentError(`weight: ${weight} is out of range; use 1 to ${MAX_WEIGHT}`, { field: 'weight' });
  }
  return { ...registration, weight };
}
