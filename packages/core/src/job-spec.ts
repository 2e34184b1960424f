import { InvalidArgumentError } from './errors.js';
import { truncate } from './ids.js';
import { compileTaskConfig, checkOpaqueTaskConfig, checkTaskConfigSize, type TaskConfig } from './task-config.js';
import { BUILTIN_TASK_TYPES, type TaskTypes } from './task-types.js';
import type { HttpRequestSpec, JobSpec } from './types.js';

/** Limits on what a job may ask for. Every field has a default below. */
export interface JobSpecLimits {
  /** @default 131072 (128 KiB) */
  maxCommandBytes?: number;
  /** @default 4096 */
  maxArgs?: number;
  /** @default 256 */
  maxEnvEntries?: number;
  /** Total bytes of env keys and values. @default 131072 (128 KiB) */
  maxEnvBytes?: number;
  /** Entries in labels and in constraints. @default 64 */
  maxLabels?: number;
  /** @default 1048576 (1 MiB) */
  maxStdinBytes?: number;
  /** @default 604800000 (7 days) */
  maxTimeoutMs?: number;
  /** Timeout for jobs that give none; 0 = no limit. @default 0 */
  defaultTimeoutMs?: number;
  /** @default 100 */
  maxRetries?: number;
  /** Task types a job may name, with the schemas of their configs. @default BUILTIN_TASK_TYPES (command, http) */
  taskTypes?: TaskTypes;
}

export const DEFAULT_MAX_COMMAND_BYTES = 128 * 1024;
export const DEFAULT_MAX_TIMEOUT_MS = 7 * 24 * 3_600_000;
const MAX_PRIORITY = 1_000_000;
const MAX_LABEL_VALUE_LENGTH = 256;
const MAX_IDEMPOTENCY_KEY_LENGTH = 256;
const MAX_URL_LENGTH = 8192;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;
const HTTP_METHOD = /^[A-Z]{1,16}$/;
/** A login name as useradd takes it (POSIX portable characters, at most 32). */
const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;

/**
 * Shared, frozen empties for the fields most jobs leave empty: a million
 * pending jobs should not hold a million empty objects, arrays and buffers.
 * Frozen, so code that tries to fill one in place fails loudly instead of
 * changing every job.
 */
export const EMPTY_RECORD: Record<string, string> = Object.freeze({}) as Record<string, string>;
export const EMPTY_STRINGS: string[] = Object.freeze([]) as unknown as string[];
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/**
 * The bytes as the job keeps them: the shared empty, or a copy of their own
 * when they are a view on a larger buffer (the protobuf decoder hands out
 * views on the whole request, which a pending job would otherwise keep alive).
 */
export function ownBytes(bytes: Uint8Array | undefined | null): Uint8Array {
  if (!bytes?.length) return EMPTY_BYTES;
  return bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}

/** What callers may leave out; `compileJobSpec` fills defaults and validates. */
export type JobSpecInput = Partial<JobSpec>;

/** UTF-8 length of a string, without TextEncoder (core runs without DOM or Node types). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

function fail(field: string, message: string): never {
  throw new InvalidArgumentError(`${field}: ${message}`, { field });
}

function checkMap(
  field: string,
  map: Record<string, string>,
  maxEntries: number,
  keyPattern: RegExp,
  keyHint: string,
): Record<string, string> {
  const entries = Object.entries(map);
  if (entries.length > maxEntries) fail(field, `${entries.length} entries; at most ${maxEntries} are allowed`);
  for (const [key, value] of entries) {
    if (!keyPattern.test(key)) fail(field, `key "${truncate(key, 64)}" is not valid: ${keyHint}`);
    if (typeof value !== 'string') fail(field, `value of "${key}" must be a string`);
    if (value.length > MAX_LABEL_VALUE_LENGTH)
      fail(field, `value of "${key}" is longer than ${MAX_LABEL_VALUE_LENGTH} characters`);
  }
  return entries.length ? { ...map } : EMPTY_RECORD;
}

function checkInteger(field: string, value: number, min: number, max: number, unit = ''): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(field, `${value}${unit} is out of range; use a whole number from ${min}${unit} to ${max}${unit}`);
  }
  return value;
}

function compileHttp(http: HttpRequestSpec | null | undefined, limits: Required<JobSpecLimits>): HttpRequestSpec {
  if (!http || !http.url) fail('spec.http.url', 'an http task needs a url');
  if (http.url.length > MAX_URL_LENGTH) fail('spec.http.url', `longer than ${MAX_URL_LENGTH} characters`);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/[^\s/?#]+[^\s]*$/i.exec(http.url);
  if (!scheme)
    fail('spec.http.url', `"${truncate(http.url, 200)}" is not an absolute URL such as http://host:8080/path`);
  const protocol = (scheme[1] as string).toLowerCase();
  if (protocol !== 'http' && protocol !== 'https')
    fail('spec.http.url', `only http and https URLs are supported, not ${protocol}`);
  const method = (http.method || 'GET').toUpperCase();
  if (!HTTP_METHOD.test(method)) fail('spec.http.method', `"${truncate(http.method, 32)}" is not an HTTP method`);
  const headers = checkMap(
    'spec.http.headers',
    http.headers ?? {},
    limits.maxLabels,
    /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/,
    'use a header name',
  );
  const body = ownBytes(http.body);
  if (body.length > limits.maxStdinBytes)
    fail('spec.http.body', `${body.length} bytes; at most ${limits.maxStdinBytes} are allowed`);
  const expectedStatus = http.expectedStatus?.length
    ? [...http.expectedStatus]
    : (EMPTY_STRINGS as unknown as number[]);
  for (const status of expectedStatus) checkInteger('spec.http.expectedStatus', status, 100, 599);
  return { url: http.url, method, headers, body, expectedStatus };
}

/**
 * Validates a job spec and fills defaults. Throws InvalidArgumentError naming
 * the offending field with a message a person can act on.
 */
export function compileJobSpec(input: JobSpecInput, jobLimits: JobSpecLimits = {}): JobSpec {
  const limits: Required<JobSpecLimits> = {
    maxCommandBytes: jobLimits.maxCommandBytes ?? DEFAULT_MAX_COMMAND_BYTES,
    maxArgs: jobLimits.maxArgs ?? 4096,
    maxEnvEntries: jobLimits.maxEnvEntries ?? 256,
    maxEnvBytes: jobLimits.maxEnvBytes ?? 128 * 1024,
    maxLabels: jobLimits.maxLabels ?? 64,
    maxStdinBytes: jobLimits.maxStdinBytes ?? 1024 * 1024,
    maxTimeoutMs: jobLimits.maxTimeoutMs ?? DEFAULT_MAX_TIMEOUT_MS,
    defaultTimeoutMs: jobLimits.defaultTimeoutMs ?? 0,
    maxRetries: jobLimits.maxRetries ?? 100,
    taskTypes: jobLimits.taskTypes ?? BUILTIN_TASK_TYPES,
  };
  const type = input.type || 'command';
  if (!limits.taskTypes.has(type)) {
    fail(
      'spec.type',
      `unknown task type "${truncate(type, 64)}"; known types: ${[...limits.taskTypes.keys()].sort().join(', ')}`,
    );
  }
  const config = compileConfig(type, limits.taskTypes, input.config);

  const command = input.command ?? '';
  const argv = input.argv?.length ? [...input.argv] : EMPTY_STRINGS;
  if (type === 'command') {
    if (command && argv.length > 0) fail('spec.command', 'give either a shell command or argv, not both');
    if (!command.trim() && argv.length === 0)
      fail('spec.command', 'the command is empty; give a shell command such as "echo hello"');
    if (!command && !argv[0]) fail('spec.argv', 'argv[0] (the program) is empty');
  }
  if (command.includes('\0')) fail('spec.command', 'the command contains a NUL byte');
  const commandBytes = utf8Length(command) + argv.reduce((n, a) => n + utf8Length(a) + 1, 0);
  if (commandBytes > limits.maxCommandBytes) {
    fail(
      'spec.command',
      `the command is ${commandBytes} bytes; at most ${limits.maxCommandBytes} are allowed (pass large input as stdin)`,
    );
  }
  if (argv.length > limits.maxArgs)
    fail('spec.argv', `${argv.length} arguments; at most ${limits.maxArgs} are allowed`);
  if (argv.some((a) => a.includes('\0'))) fail('spec.argv', 'an argument contains a NUL byte');

  const env = input.env ?? {};
  const envEntries = Object.entries(env);
  if (envEntries.length > limits.maxEnvEntries)
    fail('spec.env', `${envEntries.length} variables; at most ${limits.maxEnvEntries} are allowed`);
  let envBytes = 0;
  for (const [key, value] of envEntries) {
    if (!ENV_KEY.test(key))
      fail(
        'spec.env',
        `"${truncate(key, 64)}" is not a variable name (letters, digits and _, not starting with a digit)`,
      );
    if (typeof value !== 'string' || value.includes('\0'))
      fail('spec.env', `value of ${key} must be a string without NUL bytes`);
    envBytes += utf8Length(key) + utf8Length(value);
  }
  if (envBytes > limits.maxEnvBytes)
    fail('spec.env', `${envBytes} bytes of environment; at most ${limits.maxEnvBytes} are allowed`);

  const cwd = input.cwd ?? '';
  if (cwd.includes('\0') || cwd.length > 4096) fail('spec.cwd', 'not a usable directory path');
  const stdin = ownBytes(input.stdin);
  if (stdin.length > limits.maxStdinBytes)
    fail('spec.stdin', `${stdin.length} bytes; at most ${limits.maxStdinBytes} are allowed`);

  const priority = checkInteger('spec.priority', input.priority ?? 0, -MAX_PRIORITY, MAX_PRIORITY);
  const timeoutMs = input.timeoutMs || limits.defaultTimeoutMs;
  checkInteger('spec.timeoutMs', timeoutMs, 0, limits.maxTimeoutMs, 'ms');
  const maxRetries = checkInteger('spec.maxRetries', input.maxRetries ?? 0, 0, limits.maxRetries);

  const cpu = input.cpu ?? 0;
  if (!Number.isFinite(cpu) || cpu < 0 || cpu > 4096)
    fail('spec.cpu', `${cpu} is not a cpu request; use cores such as 0.5 or 2`);
  const memoryBytes = input.memoryBytes ?? 0;
  checkInteger('spec.memoryBytes', memoryBytes, 0, 2 ** 52);
  const memoryLimitBytes = input.memoryLimitBytes ?? 0;
  checkInteger('spec.memoryLimitBytes', memoryLimitBytes, 0, 2 ** 52);
  if (memoryLimitBytes > 0 && memoryLimitBytes < memoryBytes)
    fail(
      'spec.memoryLimitBytes',
      `${memoryLimitBytes} bytes is below the memory request (${memoryBytes} bytes); a limit must be at least the request`,
    );
  const user = input.user ?? '';
  if (user && !USER_NAME.test(user))
    fail('spec.user', `"${truncate(user, 64)}" is not a user name (letters, digits, ".", "_" and "-", at most 32)`);

  const idempotencyKey = input.idempotencyKey ?? '';
  if (idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH)
    fail('spec.idempotencyKey', `longer than ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);

  const labelHint = 'use 1-63 letters, digits, ".", "_", "/" or "-", starting with a letter or digit';
  const spec: JobSpec = {
    type,
    command,
    argv,
    env: envEntries.length ? { ...env } : EMPTY_RECORD,
    cwd,
    stdin,
    priority,
    timeoutMs,
    labels: checkMap('spec.labels', input.labels ?? {}, limits.maxLabels, LABEL_KEY, labelHint),
    constraints: checkMap('spec.constraints', input.constraints ?? {}, limits.maxLabels, LABEL_KEY, labelHint),
    cpu,
    memoryBytes,
    maxRetries,
    retryOnFailure: input.retryOnFailure ?? false,
    idempotencyKey,
    http: type === 'http' ? compileHttp(input.http, limits) : null,
    memoryLimitBytes,
    user,
  };
  // Only jobs of types with a config carry the field (a spread here would slow every submit).
  if (config) spec.config = config;
  return spec;
}

/**
 * A job's config, by its task type: command and http take none (their
 * payload has fields of its own); a type whose schema is known is checked
 * against it; any other gets a JSON object, which its worker checks.
 */
function compileConfig(type: string, types: TaskTypes, input: unknown): TaskConfig | null {
  const given = input !== undefined && input !== null && !isPlainEmpty(input);
  if (type === 'command' || type === 'http') {
    if (given)
      fail('spec.config', `${type} tasks take no config; give ${type === 'http' ? 'http' : 'command or argv'} instead`);
    return null;
  }
  const schema = types.get(type);
  if (!schema && !given) return null;
  const config = schema ? compileTaskConfig(type, schema, input) : checkOpaqueTaskConfig(type, input);
  if (Object.keys(config).length === 0) return null;
  checkTaskConfigSize(JSON.stringify(config));
  return config;
}

function isPlainEmpty(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

/** Parses `k=v` pairs (from `--label k=v` or `--labels k=v,k=v`). */
export function parseKeyValues(pairs: readonly string[], field: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) fail(field, `"${truncate(pair, 64)}" is not key=value`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** The text a person reads for a job: its shell command, its argv, its URL, or its type and config. */
export function describeSpec(spec: Pick<JobSpec, 'type' | 'command' | 'argv' | 'http' | 'config'>): string {
  if (spec.type === 'http' && spec.http) return `${spec.http.method} ${spec.http.url}`;
  if (spec.config) return `${spec.type} ${JSON.stringify(spec.config)}`;
  if (spec.command) return spec.command;
  return spec.argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
