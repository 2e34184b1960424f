import {
  checkNodeId,
  checkTaskConfigSchema,
  InvalidArgumentError,
  truncate,
  type TaskConfigSchema,
} from '@dist-exec/core';

/** What a worker tells about itself when it registers. */
export interface NodeRegistration {
  id: string;
  address: string;
  capabilities: string[];
  /** The schema of each capability's config, as its executor exports it (types without one take no config). */
  taskConfigs?: Record<string, TaskConfigSchema>;
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

/** The most bytes of one task type's config schema as JSON. */
const MAX_SCHEMA_BYTES = 64 * 1024;

/**
 * The config schemas of a registration's capabilities, from their JSON on
 * the wire (RegisterRequest.task_config_schemas); throws INVALID_ARGUMENT
 * naming the type when one is not a schema or names a type the worker does not offer.
 */
export function taskConfigsFromWire(
  schemas: Record<string, string>,
  capabilities: readonly string[],
): Record<string, TaskConfigSchema> {
  const out: Record<string, TaskConfigSchema> = {};
  for (const [type, json] of Object.entries(schemas)) {
    const field = `task_config_schemas["${truncate(type, 64)}"]`;
    if (!capabilities.includes(type))
      throw new InvalidArgumentError(`${field}: not one of the worker's capabilities`, {
        field: 'task_config_schemas',
      });
    if (json.length > MAX_SCHEMA_BYTES)
      throw new InvalidArgumentError(`${field}: longer than ${MAX_SCHEMA_BYTES} bytes`, {
        field: 'task_config_schemas',
      });
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new InvalidArgumentError(`${field}: not JSON`, { field: 'task_config_schemas' });
    }
    out[type] = checkTaskConfigSchema(parsed, field);
  }
  return out;
}
