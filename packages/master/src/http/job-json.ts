import {
  InvalidArgumentError,
  parseBytes,
  parseDuration,
  type HttpRequestSpec,
  type JobSpecInput,
} from '@dist-exec/core';

/**
 * Job specs as JSON (the body of `POST /api/v1/jobs`) → JobSpecInput. Only
 * the JSON types are checked here, with errors naming the field; the values
 * are validated by `compileJobSpec` like any other submit. Bytes (stdin, an
 * HTTP task's body) are UTF-8 strings; `timeout` and `memory` also take the
 * CLI's "30s" and "256Mi".
 */
type Kind = 'string' | 'number' | 'boolean' | 'strings' | 'map' | 'numbers';

const SPEC_FIELDS: Record<string, Kind | 'http' | 'object'> = {
  type: 'string',
  command: 'string',
  argv: 'strings',
  env: 'map',
  cwd: 'string',
  stdin: 'string',
  priority: 'number',
  timeoutMs: 'number',
  timeout: 'string',
  labels: 'map',
  constraints: 'map',
  cpu: 'number',
  memoryBytes: 'number',
  memory: 'string',
  memoryLimitBytes: 'number',
  memoryLimit: 'string',
  user: 'string',
  maxRetries: 'number',
  retryOnFailure: 'boolean',
  idempotencyKey: 'string',
  http: 'http',
  // A task type's own fields, checked against its executor's schema by compileJobSpec.
  config: 'object',
};

const HTTP_FIELDS: Record<string, Kind> = {
  url: 'string',
  method: 'string',
  headers: 'map',
  body: 'string',
  expectedStatus: 'numbers',
};

const encoder = new TextEncoder();

function fail(field: string, message: string): never {
  throw new InvalidArgumentError(`${field}: ${message}`, { field });
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKind(field: string, value: unknown, kind: Kind): void {
  switch (kind) {
    case 'string':
    case 'number':
    case 'boolean':
      if (typeof value !== kind || (kind === 'number' && !Number.isFinite(value))) fail(field, `must be a ${kind}`);
      return;
    case 'strings':
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) fail(field, 'must be an array of strings');
      return;
    case 'numbers':
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'number')) fail(field, 'must be an array of numbers');
      return;
    case 'map':
      if (!isObject(value) || Object.values(value).some((v) => typeof v !== 'string'))
        fail(field, 'must be an object of string values');
  }
}

/** Refuses fields it does not know, so a typo ("comand") is an error rather than silently ignored. */
export function checkFields(field: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) fail(field ? `${field}.${key}` : key, `unknown field; known fields: ${known.join(', ')}`);
  }
}

function httpFromJson(value: unknown, field: string): HttpRequestSpec {
  if (!isObject(value)) fail(field, 'must be an object with a url');
  checkFields(field, value, Object.keys(HTTP_FIELDS));
  for (const [key, kind] of Object.entries(HTTP_FIELDS))
    if (value[key] !== undefined) checkKind(`${field}.${key}`, value[key], kind);
  return {
    url: (value.url as string | undefined) ?? '',
    method: (value.method as string | undefined) ?? 'GET',
    headers: (value.headers as Record<string, string> | undefined) ?? {},
    body: encoder.encode((value.body as string | undefined) ?? ''),
    expectedStatus: (value.expectedStatus as number[] | undefined) ?? [],
  };
}

/** One job spec from JSON; `field` prefixes error messages (e.g. `[3]` in a batch). */
export function specFromJson(value: unknown, field = 'spec'): JobSpecInput {
  if (!isObject(value)) fail(field, 'must be a JSON object such as {"command": "echo hello"}');
  checkFields(field, value, Object.keys(SPEC_FIELDS));
  const spec: Record<string, unknown> = {};
  for (const [key, kind] of Object.entries(SPEC_FIELDS)) {
    const raw = value[key];
    if (raw === undefined || raw === null) continue;
    if (kind === 'http') spec.http = httpFromJson(raw, `${field}.http`);
    else if (kind === 'object') {
      if (!isObject(raw)) fail(`${field}.${key}`, "must be a JSON object of the task type's fields");
      spec[key] = raw;
    } else {
      checkKind(`${field}.${key}`, raw, kind);
      spec[key] = raw;
    }
  }
  if (typeof spec.stdin === 'string') spec.stdin = encoder.encode(spec.stdin);
  if (typeof spec.timeout === 'string') {
    if (spec.timeoutMs !== undefined) fail(`${field}.timeout`, 'give timeout or timeoutMs, not both');
    spec.timeoutMs = parseDuration(spec.timeout, `${field}.timeout`);
  }
  if (typeof spec.memory === 'string') {
    if (spec.memoryBytes !== undefined) fail(`${field}.memory`, 'give memory or memoryBytes, not both');
    spec.memoryBytes = parseBytes(spec.memory, `${field}.memory`);
  }
  if (typeof spec.memoryLimit === 'string') {
    if (spec.memoryLimitBytes !== undefined)
      fail(`${field}.memoryLimit`, 'give memoryLimit or memoryLimitBytes, not both');
    spec.memoryLimitBytes = parseBytes(spec.memoryLimit, `${field}.memoryLimit`);
  }
  delete spec.timeout;
  delete spec.memory;
  delete spec.memoryLimit;
  return spec as JobSpecInput;
}
