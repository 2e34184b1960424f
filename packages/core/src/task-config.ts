import { InvalidArgumentError } from './errors.js';
import { truncate } from './ids.js';

/**
 * An executor's payload: the config a job of its task type carries, and the
 * schema the executor exports to validate it (as Nomad's drivers export
 * `TaskConfigSchema()`). The schema is plain data, so it travels: a worker
 * sends the schemas of its executors when it registers, and the master
 * checks every job's config against the schema of its type at submit, with
 * an error naming the field. The worker checks again before it runs one.
 *
 * `command` and `http`, the task types that predate configs, keep their own
 * fields in the spec (`command`/`argv`, `http`) and take no config.
 */

export type ConfigFieldKind = 'string' | 'integer' | 'number' | 'boolean' | 'strings' | 'map';

export interface ConfigField {
  kind: ConfigFieldKind;
  /** One line saying what the field is (shown in errors and docs). */
  description: string;
  /** A job must give it. @default false */
  required?: boolean;
  /** Strings (and each item of `strings`, each value of `map`): the most characters. @default 4096 */
  maxLength?: number;
  /** Numbers: the range, inclusive. */
  min?: number;
  max?: number;
  /** `strings` and `map`: the most entries. @default 256 */
  maxItems?: number;
}

/** Field name → field. Names are letters, digits and `_`, as JSON and proto fields are. */
export type TaskConfigSchema = Readonly<Record<string, ConfigField>>;

/** A validated config: only the schema's fields, each of its kind. */
export type TaskConfig = Readonly<Record<string, string | number | boolean | string[] | Record<string, string>>>;

type ValueOf<F extends ConfigField> = F['kind'] extends 'string'
  ? string
  : F['kind'] extends 'integer' | 'number'
    ? number
    : F['kind'] extends 'boolean'
      ? boolean
      : F['kind'] extends 'strings'
        ? string[]
        : Record<string, string>;

/** The typed config of a schema, for the executor that exported it: `TaskConfigOf<typeof ECHO_CONFIG>`. */
export type TaskConfigOf<S extends TaskConfigSchema> = {
  readonly [K in keyof S as S[K]['required'] extends true ? K : never]: ValueOf<S[K]>;
} & {
  readonly [K in keyof S as S[K]['required'] extends true ? never : K]?: ValueOf<S[K]>;
};

/** The most bytes of a config as JSON. */
export const MAX_TASK_CONFIG_BYTES = 64 * 1024;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const KINDS: readonly ConfigFieldKind[] = ['string', 'integer', 'number', 'boolean', 'strings', 'map'];

function fail(field: string, message: string): never {
  throw new InvalidArgumentError(`${field}: ${message}`, { field });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkString(field: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string') fail(field, 'must be a string');
  if (value.length > maxLength) fail(field, `longer than ${maxLength} characters`);
  if (value.includes('\0')) fail(field, 'contains a NUL character');
  return value;
}

function checkValue(field: string, spec: ConfigField, value: unknown): TaskConfig[string] {
  const maxLength = spec.maxLength ?? 4096;
  const maxItems = spec.maxItems ?? 256;
  switch (spec.kind) {
    case 'string':
      return checkString(field, value, maxLength);
    case 'boolean':
      if (typeof value !== 'boolean') fail(field, 'must be true or false');
      return value;
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, `must be a ${spec.kind}`);
      if (spec.kind === 'integer' && !Number.isSafeInteger(value)) fail(field, `${value} is not a whole number`);
      if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max))
        fail(field, `${value} is out of range; use ${spec.min ?? '…'} to ${spec.max ?? '…'}`);
      return value;
    }
    case 'strings':
      if (!Array.isArray(value)) fail(field, 'must be an array of strings');
      if (value.length > maxItems) fail(field, `${value.length} items; at most ${maxItems} are allowed`);
      return value.map((item, i) => checkString(`${field}[${i}]`, item, maxLength));
    case 'map': {
      if (!isObject(value)) fail(field, 'must be an object of string values');
      const entries = Object.entries(value);
      if (entries.length > maxItems) fail(field, `${entries.length} entries; at most ${maxItems} are allowed`);
      return Object.fromEntries(entries.map(([k, v]) => [k, checkString(`${field}.${k}`, v, maxLength)]));
    }
  }
}

/**
 * Validates a job's config against its task type's schema: a JSON object with
 * only the schema's fields, each of its kind and within its limits, and every
 * required one. Throws InvalidArgumentError naming the field (`spec.config.text`).
 */
export function compileTaskConfig(
  type: string,
  schema: TaskConfigSchema,
  input: unknown,
  field = 'spec.config',
): TaskConfig {
  const value = input ?? {};
  if (!isObject(value)) fail(field, `the config of ${type} tasks must be a JSON object`);
  const known = Object.keys(schema);
  const out: Record<string, TaskConfig[string]> = {};
  for (const [key, raw] of Object.entries(value)) {
    const spec = schema[key];
    if (!spec || !Object.hasOwn(schema, key)) {
      fail(
        `${field}.${truncate(key, 64)}`,
        `unknown field of ${type} tasks; known fields: ${known.join(', ') || 'none'}`,
      );
    }
    if (raw !== undefined && raw !== null) out[key] = checkValue(`${field}.${key}`, spec, raw);
  }
  for (const [key, spec] of Object.entries(schema)) {
    if (spec.required && out[key] === undefined) fail(`${field}.${key}`, `${type} tasks need it: ${spec.description}`);
  }
  return out;
}

/**
 * A config of a task type whose schema the master does not know (no node
 * offering it has registered yet): any JSON object within the size limit;
 * the worker checks it against the executor's schema before it runs the job.
 */
export function checkOpaqueTaskConfig(type: string, input: unknown, field = 'spec.config'): TaskConfig {
  if (!isObject(input)) fail(field, `the config of ${type} tasks must be a JSON object`);
  return input as TaskConfig;
}

/** Throws unless `config` as JSON is within MAX_TASK_CONFIG_BYTES. */
export function checkTaskConfigSize(json: string, field = 'spec.config'): void {
  if (json.length > MAX_TASK_CONFIG_BYTES)
    fail(field, `${json.length} bytes as JSON; at most ${MAX_TASK_CONFIG_BYTES} are allowed`);
}

/**
 * A schema received from outside (a worker's registration): every field named
 * as JSON and proto fields are, of a known kind, with numbers where limits are.
 */
export function checkTaskConfigSchema(input: unknown, field: string): TaskConfigSchema {
  if (!isObject(input)) fail(field, 'a task config schema must be an object of fields');
  const out: Record<string, ConfigField> = {};
  for (const [name, raw] of Object.entries(input)) {
    if (!FIELD_NAME.test(name)) fail(field, `"${truncate(name, 64)}" is not a field name (letters, digits and _)`);
    if (!isObject(raw) || !KINDS.includes(raw.kind as ConfigFieldKind))
      fail(`${field}.${name}`, `kind must be one of ${KINDS.join(', ')}`);
    for (const limit of ['maxLength', 'min', 'max', 'maxItems'] as const) {
      if (raw[limit] !== undefined && typeof raw[limit] !== 'number')
        fail(`${field}.${name}.${limit}`, 'must be a number');
    }
    out[name] = {
      kind: raw.kind as ConfigFieldKind,
      description: typeof raw.description === 'string' ? raw.description : '',
      ...(raw.required === true ? { required: true } : {}),
      ...(raw.maxLength !== undefined ? { maxLength: raw.maxLength as number } : {}),
      ...(raw.min !== undefined ? { min: raw.min as number } : {}),
      ...(raw.max !== undefined ? { max: raw.max as number } : {}),
      ...(raw.maxItems !== undefined ? { maxItems: raw.maxItems as number } : {}),
    };
  }
  return out;
}
