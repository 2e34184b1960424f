import type { TaskConfigSchema } from './task-config.js';

/**
 * The registry of task types a job may name: each type's name and the
 * schema of its config (null: it takes none, or the schema is not known
 * here). Validation (`compileJobSpec`), the converters (proto, HTTP JSON)
 * and the master's defaults read this, never a list of their own: the
 * master's registry is the built-in types and its --task-types, plus
 * every executor a registered worker offers, with the schema it sent.
 * A worker's registry is its executor table (worker/src/executors/index.ts).
 */
export type TaskTypes = ReadonlyMap<string, TaskConfigSchema | null>;

/** The task types every worker offers unless told otherwise; their payloads are spec fields of their own. */
export const BUILTIN_TASK_TYPE_NAMES: readonly string[] = ['command', 'http'];

export const BUILTIN_TASK_TYPES: TaskTypes = new Map(BUILTIN_TASK_TYPE_NAMES.map((name) => [name, null]));

/** A registry of `names` (without schemas), with `schemas` for the types whose config is known. */
export function taskTypesOf(
  names: Iterable<string>,
  schemas: Iterable<readonly [string, TaskConfigSchema]> = [],
): TaskTypes {
  const types = new Map<string, TaskConfigSchema | null>();
  for (const name of names) types.set(name, null);
  for (const [name, schema] of schemas) types.set(name, schema);
  return types;
}
