import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DistExecClient } from '@dist-exec/client';
import { loadTlsFiles } from '@dist-exec/runtime';
import { startMasterProcess, startNodeScript, startWorkerProcess, type RunningProgram } from '@dist-exec/testing';

const NOOP_WORKER = fileURLToPath(new URL('./noop-worker.js', import.meta.url));
/** A stopping process that has not exited by then is killed (a benchmark must never hang). */
const STOP_TIMEOUT_MS = 30_000;

export interface BenchClusterOptions {
  workers: number;
  /** Extra flags of dist-exec-master (its store is in memory unless these name one). */
  masterArgs?: string[];
  /** Extra flags of every dist-exec-worker. */
  workerArgs?: string[];
  /** HTTP ports (/metrics) of the workers, one each in order; none when absent. */
  workerHttpPorts?: readonly number[];
  /** Workers that offer only the benchmark's no-op executor, with this many task slots each. */
  noopMaxTasks?: number;
  /** Environment of the master and worker processes (e.g. NODE_OPTIONS=--cpu-prof). */
  env?: NodeJS.ProcessEnv;
  /**
   * `none`: master and workers check no credential (--auth none), the
   * baseline that auth's cost is measured against. @default 'tokens'
   */
  auth?: 'tokens' | 'none';
  /**
   * mTLS everywhere with these files (made by `tls init`, for 127.0.0.1):
   * master and workers serve with `cert` and require client certificates
   * signed by `ca`; the client presents `cert` too. Absent: plaintext.
   */
  tls?: BenchTls;
}

export interface BenchTls {
  ca: string;
  cert: string;
  key: string;
}

/** The flags of a master or worker serving (and dialling) with `tls`. */
export function tlsFlags(tls: BenchTls | undefined): string[] {
  return tls ? ['--tls-cert', tls.cert, '--tls-key', tls.key, '--tls-ca', tls.ca, '--tls-client-ca', tls.ca] : [];
}

export interface BenchCluster {
  master: Awaited<ReturnType<typeof startMasterProcess>>;
  workers: RunningProgram[];
  client: DistExecClient;
  /** SIGTERM to workers, then the master (so profiles get written); SIGKILL what lingers. */
  stop(): Promise<void>;
}

async function stopProgram(program: RunningProgram): Promise<void> {
  program.kill('SIGTERM');
  const timer = setTimeout(() => program.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await program.exited;
  clearTimeout(timer);
}

/**
 * A master and workers as real processes on loopback, as users run them:
 * RSS and CPU are theirs alone, and the benchmark's own process (the client)
 * competes for the cores as a real client would.
 */
export async function startBenchCluster(options: BenchClusterOptions): Promise<BenchCluster> {
  const env = options.env ?? {};
  const authArgs = options.auth === 'none' ? ['--auth', 'none'] : [];
  const tlsArgs = tlsFlags(options.tls);
  const master = await startMasterProcess([...(options.masterArgs ?? []), ...authArgs, ...tlsArgs], env);
  const workers: RunningProgram[] = [];
  const tls = options.tls ? loadTlsFiles(options.tls).client : null;
  // A loaded machine may leave a ping unanswered for seconds: that is no reason to drop a benchmark's streams.
  const client = new DistExecClient({
    address: master.address,
    token: master.token,
    callTimeoutMs: 120_000,
    connectTimeoutMs: 60_000,
    tls,
  });
  const stop = async (): Promise<void> => {
    client.close();
    await Promise.all(workers.map(stopProgram));
    await stopProgram(master);
  };
  try {
    for (let i = 1; i <= options.workers; i += 1) {
      const id = `bench-${i}`;
      if (options.noopMaxTasks) {
        const args = [
          '--master',
          master.address,
          '--id',
          id,
          '--max-tasks',
          String(options.noopMaxTasks),
          ...authArgs,
          ...tlsArgs,
        ];
        if (options.auth !== 'none') args.push('--token-file', master.workerTokenFile);
        const worker = startNodeScript('noop-worker', NOOP_WORKER, args, env);
        workers.push(worker);
        await worker.waitForLog('registered with the master');
      } else {
        // With authentication off the master made no worker token: the workers present none.
        const to = options.auth === 'none' ? master.address : master;
        const port = options.workerHttpPorts?.[i - 1];
        const httpArgs = port === undefined ? [] : ['--http-port', String(port)];
        workers.push(
          await startWorkerProcess(
            to,
            ['--id', id, ...authArgs, ...tlsArgs, ...httpArgs, ...(options.workerArgs ?? [])],
            env,
          ),
        );
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { master, workers, client, stop };
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * User + system CPU time of a process so far, in ms (all its threads; Linux
 * /proc). Unlike wall-clock rates, what a process spends on a piece of work
 * changes little when other processes load the machine.
 */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself contain spaces; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** Resident set size of a process, in bytes (Linux /proc). */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) * 1024;
}
