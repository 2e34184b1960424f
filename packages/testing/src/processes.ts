import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { until } from './until.js';

/** Built entry points of the programs (tests run after `tsc -b`). */
export const PROGRAMS = {
  master: fileURLToPath(new URL('../../master/dist/main.js', import.meta.url)),
  worker: fileURLToPath(new URL('../../worker/dist/main.js', import.meta.url)),
  cli: fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url)),
};

export interface RunningProgram {
  process: ChildProcess;
  /** Log lines (pino JSON parsed where possible) seen so far. */
  logs: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log entry whose msg matches. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts one of our programs as a real child process. */
export function startProgram(
  program: keyof typeof PROGRAMS,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  options: { cwd?: string } = {},
): RunningProgram {
  return startNodeScript(program, PROGRAMS[program], args, env, options);
}

/** Starts a Node script (e.g. a benchmark's own worker) as a real child process; `name` labels its log in messages. */
export function startNodeScript(
  name: string,
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  options: { cwd?: string } = {},
): RunningProgram {
  return startCommand(name, process.execPath, [script, ...args], env, options);
}

/** Starts any command as a real child process (e.g. a program under `runuser`); `name` labels its log in messages. */
export function startCommand(
  name: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  options: { cwd?: string } = {},
): RunningProgram {
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const logs: Record<string, unknown>[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    process: child,
    logs,
    exited,
    waitForLog: (msg, timeoutMs) =>
      until(() => logs.find((entry) => entry.msg === msg), { timeoutMs, message: `"${msg}" in the ${name} log` }),
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Waits for the line that says the program is up; a program that never says it is killed, not leaked. */
async function startedOrKilled(program: RunningProgram, message: string): Promise<Record<string, unknown>> {
  try {
    return await program.waitForLog(message);
  } catch (error) {
    program.kill('SIGKILL');
    await program.exited;
    throw error;
  }
}

/** A master process started by `startMasterProcess`, and the tokens to talk to it. */
export interface MasterProcess extends RunningProgram {
  address: string;
  httpPort: number;
  dataDir: string;
  /** The bootstrap admin token and its file. */
  token: string;
  tokenFile: string;
  /** The bootstrap worker token (--worker-token-file) and its file. */
  workerToken: string;
  workerTokenFile: string;
}

function flagValue(args: readonly string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
}

/**
 * Starts a master process on a free port and resolves once it listens. Its
 * store is in memory unless `args` name one; without a `--data-dir` it gets a
 * fresh temporary one (never the repository), where it keeps its admin token
 * and a worker token for the workers.
 */
export async function startMasterProcess(
  args: readonly string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<MasterProcess> {
  const store = args.includes('--store') ? [] : ['--store', 'memory'];
  const dataDir = flagValue(args, '--data-dir') ?? mkdtempSync(join(tmpdir(), 'dist-exec-test-'));
  const dataDirArgs = args.includes('--data-dir') ? [] : ['--data-dir', dataDir];
  const tokenFile = flagValue(args, '--admin-token-file') ?? join(dataDir, 'admin.token');
  const workerTokenFile = flagValue(args, '--worker-token-file') ?? join(dataDir, 'worker.token');
  const workerArgs = args.includes('--worker-token-file') ? [] : ['--worker-token-file', workerTokenFile];
  const master = startProgram(
    'master',
    ['--host', '127.0.0.1', '--port', '0', '--http-port', '0', ...store, ...dataDirArgs, ...workerArgs, ...args],
    env,
  );
  const entry = await startedOrKilled(master, 'master listening');
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      return '';
    }
  };
  return {
    ...master,
    address: `127.0.0.1:${String(entry.port)}`,
    httpPort: Number(entry.httpPort),
    dataDir,
    token: read(tokenFile),
    tokenFile,
    workerToken: read(workerTokenFile),
    workerTokenFile,
  };
}

/**
 * Starts a worker process registered with `master`; given the master
 * process, the worker reads its worker token file (as `dist-exec up`'s
 * workers do); given only an address, `env` must say where the token is.
 * Without a `--state-dir` in `args` it gets a fresh temporary one: a test
 * that restarts a worker as the same node passes its own.
 */
export async function startWorkerProcess(
  master: string | Pick<MasterProcess, 'address' | 'workerTokenFile'>,
  args: readonly string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<RunningProgram> {
  const address = typeof master === 'string' ? master : master.address;
  const tokenEnv = typeof master === 'string' ? {} : { DIST_EXEC_TOKEN_FILE: master.workerTokenFile };
  const stateDir = args.includes('--state-dir')
    ? []
    : ['--state-dir', mkdtempSync(join(tmpdir(), 'dist-exec-worker-'))];
  const worker = startProgram(
    'worker',
    ['--master', address, '--host', '127.0.0.1', '--port', '0', ...stateDir, ...args],
    { ...tokenEnv, ...env },
  );
  await startedOrKilled(worker, 'registered with the master');
  return worker;
}

export interface CliResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** A fresh temporary directory (state dirs, data dirs of tests). */
export function tempDir(prefix = 'dist-exec-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs the dist-exec CLI to completion; `input`, when given, is its stdin. */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  input?: string,
  options: { cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PROGRAMS.cli, ...args], {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    if (input !== undefined) child.stdin?.end(input);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
  });
}

/** Processes whose command line contains `marker` (to prove nothing was left behind). */
export async function processesMatching(marker: string): Promise<number[]> {
  const result = await new Promise<string>((resolve) => {
    const child = spawn('pgrep', ['-f', marker], { stdio: ['ignore', 'pipe', 'ignore'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.once('close', () => resolve(Buffer.concat(out).toString()));
  });
  return result
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

/** A port that was free a moment ago (for a process that must know its peer's port before it starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
