import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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
): RunningProgram {
  return startNodeScript(program, PROGRAMS[program], args, env);
}

/** Starts a Node script (e.g. a benchmark's own worker) as a real child process; `name` labels its log in messages. */
export function startNodeScript(
  name: string,
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): RunningProgram {
  return startCommand(name, process.execPath, [script, ...args], env);
}

/** Starts any command as a real child process (e.g. a program under `runuser`); `name` labels its log in messages. */
export function startCommand(
  name: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): RunningProgram {
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
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

/**
 * Starts a master process on a free port and resolves once it listens. Its
 * store is in memory unless `args` name one; a sqlite store without a
 * `--data-dir` gets a fresh temporary one, never the repository.
 */
export async function startMasterProcess(
  args: readonly string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<RunningProgram & { address: string; httpPort: number }> {
  const store = args.includes('--store') ? [] : ['--store', 'memory'];
  const dataDir = args.includes('--data-dir') ? [] : ['--data-dir', mkdtempSync(join(tmpdir(), 'dist-exec-test-'))];
  const master = startProgram(
    'master',
    ['--host', '127.0.0.1', '--port', '0', '--http-port', '0', ...store, ...dataDir, ...args],
    env,
  );
  const entry = await startedOrKilled(master, 'master listening');
  return { ...master, address: `127.0.0.1:${String(entry.port)}`, httpPort: Number(entry.httpPort) };
}

export async function startWorkerProcess(
  masterAddress: string,
  args: readonly string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<RunningProgram> {
  const worker = startProgram(
    'worker',
    ['--master', masterAddress, '--host', '127.0.0.1', '--port', '0', ...args],
    env,
  );
  await startedOrKilled(worker, 'registered with the master');
  return worker;
}

export interface CliResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs the dist-exec CLI to completion; `input`, when given, is its stdin. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PROGRAMS.cli, ...args], {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
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
