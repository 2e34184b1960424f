import { availableParallelism, hostname, totalmem } from 'node:os';
import { join } from 'node:path';
import { checkNodeId, CommandPolicy, InvalidArgumentError, MIN_HEARTBEAT_INTERVAL_MS } from '@dist-exec/core';
import { masterAddresses } from '@dist-exec/proto';
import type { TlsFiles } from '@dist-exec/runtime';
import { HttpTargetPolicy } from './executors/http-targets.js';

export const DEFAULT_WORKER_PORT = 50052;
export const DEFAULT_MAX_TASKS = 4;
export const DEFAULT_OUTPUT_LIMIT_BYTES = 1024 * 1024;
export const DEFAULT_KILL_GRACE_MS = 5000;
export const DEFAULT_CALL_TIMEOUT_MS = 5000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_RETAINED_OUTPUT_BYTES = 256 * 1024 * 1024;
/** Parent of the default --state-dir of each worker id. */
export const DEFAULT_STATE_ROOT = '.dist-exec/workers';
/** Loopback: the master must run on this machine, unless the worker is told to listen further (--host 0.0.0.0). */
export const DEFAULT_WORKER_HOST = '127.0.0.1';

export interface WorkerOptions {
  /** Master gRPC address, host:port. @default 'localhost:50051' */
  masterAddress?: string;
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** gRPC port; 0 picks a free one. @default 50052 */
  port?: number;
  /**
   * HTTP port of /healthz, /readyz and /metrics; 0 picks a free one, null
   * serves no HTTP (several workers on one machine would fight over a fixed default). @default null
   */
  httpPort?: number | null;
  /** host:port the master dials; derived from host and port when empty. */
  advertiseAddress?: string;
  /** Node id; `<hostname>-<port>` when empty. */
  id?: string;
  /** Tasks run at once. @default 4 */
  maxTasks?: number;
  labels?: Record<string, string>;
  /** Cores offered to jobs that request cpu. @default the machine's cores */
  cpus?: number;
  /** Memory offered to jobs that request memory, in bytes. @default the machine's memory */
  memoryBytes?: number;
  /** Share for weighted placement. @default 1 */
  weight?: number;
  /** 0 = what the master asks for. @default 0 */
  heartbeatIntervalMs?: number;
  /** @default 1048576 */
  outputLimitBytes?: number;
  /** @default 5000 */
  killGraceMs?: number;
  /** Deadline of calls to the master, in ms. @default 5000 */
  callTimeoutMs?: number;
  /** On shutdown, wait this long for running tasks before killing them, in ms. @default 300000 */
  drainTimeoutMs?: number;
  /** Output of unacknowledged results kept in memory, in bytes. @default 268435456 */
  retainedOutputBytes?: number;
  /**
   * Kill running tasks after this long without a successful heartbeat, in ms
   * (for at-most-once execution); 0 = keep running them. @default 0
   */
  fenceAfterMs?: number;
  /**
   * Directory of what this worker keeps across restarts (its node secret, what
   * its jobs left behind); created with mode 0700 when first written to.
   * @default '.dist-exec/workers/<id>'
   */
  stateDir?: string;
  /** The token presented to the master: a worker or admin token. */
  token?: string;
  /**
   * `tokens`: the ExecutionService answers only the master this worker
   * registered with. `none`: anyone (a trusted lab, benchmarks). @default 'tokens'
   */
  auth?: 'tokens' | 'none';
  /** Where http tasks may connect besides the default (addresses, CIDR blocks with optional :port, host names); [] = anywhere not denied. @default [] */
  httpAllow?: string[];
  /** Addresses or CIDR blocks (optional :port) http tasks may never connect to, besides loopback, link-local and the master's machine. @default [] */
  httpDeny?: string[];
  /** Regular expressions: a command job must match one of them whole to start here (--allow-command); [] = any. @default [] */
  allowCommands?: string[];
  /** Regular expressions: a command job that matches one anywhere fails here without starting (--deny-command). @default [] */
  denyCommands?: string[];
  /**
   * TLS files (paths): `cert` + `key` serve ExecutionService over TLS (and
   * are this worker's client certificate to the master); `clientCa` requires
   * the master to present a certificate it signed; `ca` verifies the master's
   * certificate. With `cert` or `ca`, the master is dialled over TLS. @default {} (plaintext)
   */
  tls?: TlsFiles;
}

export type CompiledWorkerOptions = Required<WorkerOptions>;

const HOST_PORT = /^[^\s/]+:\d{1,5}$/;

function check(condition: boolean, field: string, message: string): void {
  if (!condition) throw new InvalidArgumentError(`${field}: ${message}`, { field });
}

/** The address the master should dial when the worker listens on `host:port`. */
export function defaultAdvertiseAddress(host: string, port: number, masterAddress: string): string {
  if (host !== '0.0.0.0' && host !== '::') return `${host.includes(':') ? `[${host}]` : host}:${port}`;
  // Bound to every interface: a master on loopback dials loopback; otherwise our host name.
  const masterHost = (masterAddresses(masterAddress)[0] ?? '').replace(/:\d+$/, '');
  const local = masterHost === 'localhost' || masterHost.startsWith('127.') || masterHost === '[::1]';
  return `${local ? '127.0.0.1' : hostname()}:${port}`;
}

/** Fills defaults and validates; `port` is the bound port (known once listening). */
export function compileWorkerOptions(options: WorkerOptions, boundPort?: number): CompiledWorkerOptions {
  const host = options.host ?? DEFAULT_WORKER_HOST;
  const port = boundPort ?? options.port ?? DEFAULT_WORKER_PORT;
  const masterAddress = options.masterAddress ?? 'localhost:50051';
  const compiled: CompiledWorkerOptions = {
    masterAddress,
    host,
    port,
    httpPort: options.httpPort ?? null,
    advertiseAddress: options.advertiseAddress || defaultAdvertiseAddress(host, port, masterAddress),
    id: options.id || `${hostname().replace(/[^A-Za-z0-9._-]/g, '-')}-${port}`,
    maxTasks: options.maxTasks ?? DEFAULT_MAX_TASKS,
    labels: options.labels ?? {},
    cpus: options.cpus ?? availableParallelism(),
    memoryBytes: options.memoryBytes ?? totalmem(),
    weight: options.weight ?? 1,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 0,
    outputLimitBytes: options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES,
    killGraceMs: options.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    callTimeoutMs: options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
    drainTimeoutMs: options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
    retainedOutputBytes: options.retainedOutputBytes ?? DEFAULT_RETAINED_OUTPUT_BYTES,
    fenceAfterMs: options.fenceAfterMs ?? 0,
    stateDir: '',
    token: options.token ?? '',
    auth: options.auth ?? 'tokens',
    allowCommands: options.allowCommands ?? [],
    denyCommands: options.denyCommands ?? [],
    httpAllow: options.httpAllow ?? [],
    httpDeny: options.httpDeny ?? [],
    tls: { ...options.tls },
  };
  compiled.stateDir = options.stateDir || join(DEFAULT_STATE_ROOT, compiled.id);
  check(compiled.stateDir.length > 0, '--state-dir', 'must not be empty');
  check(compiled.auth === 'tokens' || compiled.auth === 'none', '--auth', `"${compiled.auth}" is not tokens or none`);
  const masters = masterAddresses(compiled.masterAddress);
  check(masters.length > 0, '--master', 'give host:port (several masters: a:50051,b:50051)');
  for (const master of masters) check(HOST_PORT.test(master), '--master', `"${master}" is not host:port`);
  check(
    Number.isInteger(port) && port >= 0 && port <= 65535,
    '--port',
    `${port} is not a port; use 0-65535 (0 picks a free one)`,
  );
  if (compiled.httpPort !== null) {
    const http = compiled.httpPort;
    check(
      Number.isInteger(http) && http >= 0 && http <= 65535,
      '--http-port',
      `${http} is not a port; use 0-65535 (0 picks a free one)`,
    );
  }
  check(
    HOST_PORT.test(compiled.advertiseAddress),
    '--advertise-address',
    `"${compiled.advertiseAddress}" is not host:port`,
  );
  checkNodeId(compiled.id, '--id');
  check(
    Number.isInteger(compiled.maxTasks) && compiled.maxTasks >= 1 && compiled.maxTasks <= 10_000,
    '--max-tasks',
    `${compiled.maxTasks} is out of range; use 1 to 10000`,
  );
  check(Number.isFinite(compiled.cpus) && compiled.cpus >= 0, '--cpus', `${compiled.cpus} is not a cpu count`);
  check(
    Number.isInteger(compiled.memoryBytes) && compiled.memoryBytes >= 0,
    '--memory',
    `${compiled.memoryBytes} is not a size`,
  );
  check(
    Number.isInteger(compiled.weight) && compiled.weight >= 1 && compiled.weight <= 1000,
    '--weight',
    `${compiled.weight} is out of range; use 1 to 1000`,
  );
  check(
    compiled.heartbeatIntervalMs === 0 || compiled.heartbeatIntervalMs >= MIN_HEARTBEAT_INTERVAL_MS,
    '--heartbeat-interval',
    `${compiled.heartbeatIntervalMs}ms is too short; use ${MIN_HEARTBEAT_INTERVAL_MS}ms or more (or leave it out: the master's)`,
  );
  check(compiled.outputLimitBytes > 0, '--output-limit', 'must be greater than 0');
  check(
    Number.isFinite(compiled.fenceAfterMs) && compiled.fenceAfterMs >= 0,
    '--fence-after',
    'must not be negative (0 = never)',
  );
  // A rule that is not a regular expression stops the start, naming its flag.
  new CommandPolicy({ allow: compiled.allowCommands, deny: compiled.denyCommands }, "this worker's");
  httpTargetPolicy(compiled);
  return compiled;
}

/** The worker's http target rules compiled (throws naming --http-allow or --http-deny). */
export function httpTargetPolicy(
  options: Pick<CompiledWorkerOptions, 'httpAllow' | 'httpDeny' | 'masterAddress'>,
): HttpTargetPolicy {
  const masterHost = options.masterAddress.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return new HttpTargetPolicy({ allow: options.httpAllow, deny: options.httpDeny }, masterHost);
}
