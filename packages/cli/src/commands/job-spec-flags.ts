import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import {
  errorMessage,
  InvalidArgumentError,
  parseBytes,
  parseDuration,
  parseInteger,
  parseKeyValues,
  type JobSpecInput,
} from '@dist-exec/core';

/** Flags that describe a job, shared by `run` (and job arrays). */
export interface JobSpecFlags {
  type?: string;
  argv?: boolean;
  timeout?: string;
  priority?: string;
  label?: string[];
  env?: string[];
  constraint?: string[];
  cwd?: string;
  stdinFile?: string;
  interactive?: boolean;
  cpu?: string;
  memory?: string;
  memoryLimit?: string;
  user?: string;
  retries?: string;
  retryOnFailure?: boolean;
  idempotencyKey?: string;
  url?: string;
  method?: string;
  data?: string;
  header?: string[];
  expectStatus?: string;
  config?: string;
}

/** A repeatable flag's values; no commander default, so --help does not show `(default: [])`. */
/** Commander's collector for a repeatable option (no default, so help shows none). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function addJobSpecOptions(command: Command): Command {
  // Defaults are written as a person would type them, not as commander shows a default string ("0").
  return command
    .option('--timeout <duration>', 'kill the job after this long, e.g. 30s, 5m, or none (default: none)')
    .option('--priority <n>', 'higher runs first (default: 0)')
    .option('--label <k=v>', 'metadata label (repeatable)', collect)
    .option('--env <K=V>', 'environment variable (repeatable)', collect)
    .option('--cwd <dir>', "working directory on the worker (default: the worker's own)")
    .option('--stdin-file <file>', "file to feed to the command's stdin; - reads this program's stdin")
    .option('-i, --interactive', "send this program's stdin (read to its end) to the job's stdin, as docker run -i")
    .option('--argv', 'run the arguments as a program and its arguments, without a shell: --argv -- ls -la')
    .option('--constraint <k=v>', 'node label the job requires (repeatable)', collect)
    .option('--cpu <cores>', 'cores the job needs, e.g. 0.5 (default: none reserved)')
    .option(
      '--memory <size>',
      'memory the job needs (and its limit, where workers enforce one), e.g. 256Mi (default: none reserved)',
    )
    .option('--memory-limit <size>', 'a hard memory limit above --memory, e.g. 1Gi')
    .option('--user <name>', "run as this user on the worker (one of the worker's --allowed-users)")
    .option('--retries <n>', 'retries after a failed attempt (default: 0)')
    .option('--retry-on-failure', 'retry on a non-zero exit code or a timeout too, not only when a worker is lost')
    .option('--idempotency-key <key>', 'a second submit with the same key returns the first job')
    .addOption(new Option('--type <type>', 'task type: command, http, or one a worker offers (default: command)'))
    .option(
      '--config <json>',
      'the task type\'s fields as a JSON object, e.g. \'{"text": "hi"}\' (types other than command and http)',
    )
    .option('--url <url>', 'http task: the URL to request')
    .option('--method <method>', 'http task: the method (default: GET)')
    .option('--data <body>', 'http task: the request body')
    .option('--header <name:value>', 'http task: a request header (repeatable)', collect)
    .option('--expect-status <codes>', 'http task: statuses that count as success, e.g. 200,204 (default: any 2xx)');
}

/** The job's stdin: a file, or this program's own stdin (`--stdin-file -` or `-i`), read whole. */
function readStdin(flags: JobSpecFlags): Uint8Array | undefined {
  if (flags.interactive && flags.stdinFile)
    throw new InvalidArgumentError('-i and --stdin-file: choose one', { field: '--stdin-file' });
  const file = flags.interactive ? '-' : flags.stdinFile;
  if (!file) return undefined;
  const field = flags.interactive ? '-i' : '--stdin-file';
  try {
    // Descriptor 0 blocks until the end of input: a pipe's end, or Ctrl-D on a terminal, as `docker run -i` reads it.
    return readFileSync(file === '-' ? 0 : file);
  } catch (error) {
    const what = file === '-' ? 'stdin' : file;
    throw new InvalidArgumentError(`${field}: cannot read ${what}: ${errorMessage(error)}`, { field });
  }
}

/** Builds a job spec from the flags and the command's words; throws InvalidArgumentError naming the flag. */
export function jobSpecFromFlags(words: readonly string[], flags: JobSpecFlags): JobSpecInput {
  const type = flags.type ?? (flags.url ? 'http' : 'command');
  const stdin = readStdin(flags);
  const spec: JobSpecInput = {
    type,
    priority: parseInteger(flags.priority ?? '0', '--priority', -1_000_000, 1_000_000),
    labels: parseKeyValues(flags.label ?? [], '--label'),
    env: parseKeyValues(flags.env ?? [], '--env'),
    constraints: parseKeyValues(flags.constraint ?? [], '--constraint'),
    maxRetries: parseInteger(flags.retries ?? '0', '--retries', 0, 100),
    retryOnFailure: flags.retryOnFailure ?? false,
    ...(flags.timeout && flags.timeout.trim() !== 'none'
      ? { timeoutMs: positiveDuration(flags.timeout, '--timeout') }
      : {}),
    ...(flags.cwd ? { cwd: flags.cwd } : {}),
    ...(stdin ? { stdin } : {}),
    ...(flags.cpu ? { cpu: parseCpu(flags.cpu) } : {}),
    ...(flags.memory ? { memoryBytes: parseBytes(flags.memory, '--memory') } : {}),
    ...(flags.memoryLimit ? { memoryLimitBytes: parseBytes(flags.memoryLimit, '--memory-limit') } : {}),
    ...(flags.user ? { user: flags.user } : {}),
    ...(flags.idempotencyKey ? { idempotencyKey: flags.idempotencyKey } : {}),
  };
  if (type === 'http') {
    if (!flags.url) throw new InvalidArgumentError('--url: an http task needs --url', { field: '--url' });
    const headers: Record<string, string> = {};
    for (const header of flags.header ?? []) {
      const colon = header.indexOf(':');
      if (colon <= 0) throw new InvalidArgumentError(`--header: "${header}" is not name:value`, { field: '--header' });
      headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
    }
    spec.http = {
      url: flags.url,
      method: (flags.method ?? 'GET').toUpperCase(),
      headers,
      body: flags.data === undefined ? new Uint8Array() : Buffer.from(flags.data),
      expectedStatus: flags.expectStatus
        ? flags.expectStatus.split(',').map((s) => parseInteger(s, '--expect-status', 100, 599))
        : [],
    };
    return spec;
  }
  if (flags.config !== undefined) spec.config = parseConfig(flags.config);
  if (flags.argv) spec.argv = [...words];
  else if (words.length) spec.command = words.join(' ');
  return spec;
}

/** --config: a JSON object (the task type's schema checks its fields at the master). */
function parseConfig(json: string): JobSpecInput['config'] {
  let config: unknown;
  try {
    config = JSON.parse(json);
  } catch (error) {
    throw new InvalidArgumentError(
      `--config: not JSON (${errorMessage(error)}); give an object such as '{"text": "hi"}'`,
      {
        field: '--config',
      },
    );
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new InvalidArgumentError('--config: must be a JSON object such as \'{"text": "hi"}\'', { field: '--config' });
  return config as JobSpecInput['config'];
}

function positiveDuration(text: string, field: string): number {
  const ms = parseDuration(text, field);
  if (ms <= 0) throw new InvalidArgumentError(`${field}: must be longer than 0`, { field });
  return ms;
}

function parseCpu(text: string): number {
  const cpu = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !Number.isFinite(cpu)) {
    throw new InvalidArgumentError(`--cpu: "${text}" is not a number of cores, e.g. 0.5 or 2`, { field: '--cpu' });
  }
  return cpu;
}
