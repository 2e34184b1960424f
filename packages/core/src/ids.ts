import { v7 as uuidv7, validate as uuidValidate } from 'uuid';
import { InvalidArgumentError } from './errors.js';

/** Job ids are UUIDv7: unique without coordination, and sortable by creation time. */
export function newJobId(): string {
  return uuidv7();
}

export function isJobId(id: string): boolean {
  return uuidValidate(id);
}

/** Throws INVALID_ARGUMENT unless id looks like a job id. */
export function checkJobId(id: string, field = 'id'): string {
  if (!isJobId(id)) {
    throw new InvalidArgumentError(`${field}: "${truncate(id, 80)}" is not a job id (a UUID such as 0190a4c2-7d3e-7a1b-9c2d-3e4f5a6b7c8d)`, {
      field,
    });
  }
  return id.toLowerCase();
}

const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function checkNodeId(id: string, field = 'nodeId'): string {
  if (!NODE_ID.test(id)) {
    throw new InvalidArgumentError(
      `${field}: "${truncate(id, 80)}" is not a node id: use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      { field },
    );
  }
  return id;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
