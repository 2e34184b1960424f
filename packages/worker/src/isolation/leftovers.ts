import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { AttemptRef } from '@dist-exec/core';

/** The journal of started and ended attempts, in --state-dir. */
const JOURNAL = 'attempts.log';
/** The cgroup dirs the worker used, in --state-dir: a restart with other flags still finds the old ones. */
const CGROUPS = 'cgroups.json';
/** Rewritten from empty once it passes this size while nothing runs. */
const COMPACT_AT_BYTES = 256 * 1024;
/** /proc/<pid>/stat counts start times in these ticks (USER_HZ, 100 on every Linux we run on). */
const TICKS_PER_SECOND = 100;

/** An attempt's name on this worker (its cgroup dir, its journal entry): `<job id>-<attempt>`. */
export function attemptName(ref: AttemptRef): string {
  return `${ref.jobId.replace(/[^A-Za-z0-9_.-]/g, '_')}-${ref.attempt}`;
}

export function attemptFromName(name: string): AttemptRef | null {
  const dash = name.lastIndexOf('-');
  const attempt = Number(name.slice(dash + 1));
  return dash > 0 && Number.isInteger(attempt) && attempt > 0 ? { jobId: name.slice(0, dash), attempt } : null;
}

interface Entry {
  name: string;
  pid: number;
  startedAtMs: number;
}

/**
 * What this worker's jobs are, kept in --state-dir so that a worker restarted
 * after `kill -9` (same --id and --state-dir) finds what its previous life
 * left running, kills it before it registers, and reports those attempts as
 * lost. Attempts are journalled as they start and end (an append each); the
 * cgroups live in their own dirs, recorded here.
 */
export class Leftovers {
  readonly #dir: string;
  #fd: number | null = null;
  #running = 0;
  #bytes = 0;

  constructor(stateDir: string) {
    this.#dir = stateDir;
  }

  /** The cgroup dirs the previous life recorded (none when it had none). */
  previousCgroupRoots(): string[] {
    try {
      const roots: unknown = JSON.parse(readFileSync(join(this.#dir, CGROUPS), 'utf8'));
      return Array.isArray(roots) ? roots.filter((r): r is string => typeof r === 'string') : [];
    } catch {
      return [];
    }
  }

  recordCgroupRoots(roots: readonly string[]): void {
    // Nothing to record and nothing recorded: a worker without cgroups leaves --state-dir alone.
    if (roots.length === 0 && this.previousCgroupRoots().length === 0) return;
    this.#ensureDir();
    writeFileSync(join(this.#dir, CGROUPS), `${JSON.stringify(roots)}\n`, { mode: 0o600 });
  }

  /**
   * Kills the process groups of attempts the journal shows started and not
   * ended, and the processes that left those groups but still carry their
   * attempt in their environment (this node's id and the job's), then
   * starts a fresh journal. Returns the attempts found.
   */
  sweep(nodeId: string): AttemptRef[] {
    const found = new Map<string, AttemptRef>();
    const open = this.#openEntries();
    for (const entry of open) {
      const ref = attemptFromName(entry.name);
      if (ref) found.set(entry.name, ref);
      if (isSameProcess(entry.pid, entry.startedAtMs)) {
        kill(-entry.pid);
        kill(entry.pid);
      } else if (!processExists(entry.pid)) {
        // The leader is gone; its group may live on (and holds the number, so it is still ours).
        kill(-entry.pid);
      }
    }
    if (found.size) {
      for (const { pid, ref } of processesOfNode(nodeId)) {
        if (!ref || !found.has(attemptName(ref))) continue;
        kill(pid);
      }
    }
    // A fresh journal, opened when the first attempt starts (or now, to empty one a previous life left).
    this.#swept = true;
    if (open.length) this.#open();
    return [...found.values()];
  }

  #swept = false;

  #open(): void {
    this.#ensureDir();
    this.#fd = openSync(join(this.#dir, JOURNAL), 'w', 0o600);
  }

  started(name: string, pid: number, nowMs: number): void {
    if (this.#fd === null && this.#swept) this.#open();
    this.#running += 1;
    this.#append(`+ ${name} ${pid} ${nowMs}\n`);
  }

  ended(name: string): void {
    this.#running = Math.max(0, this.#running - 1);
    this.#append(`- ${name}\n`);
  }

  close(): void {
    this.#flush();
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
    this.#swept = false;
  }

  /**
   * Lines of one turn of the event loop go out in one write: a dispatch batch
   * starts many attempts at once. Only a worker and its spawner dying within
   * the same turn could lose them, and the spawner kills the jobs when the
   * worker dies.
   */
  #append(line: string): void {
    if (this.#fd === null) return;
    if (this.#pending === '') setImmediate(this.#flushSoon);
    this.#pending += line;
  }

  #pending = '';
  readonly #flushSoon = (): void => this.#flush();

  #flush(): void {
    if (this.#fd === null || this.#pending === '') return;
    this.#bytes += writeSync(this.#fd, this.#pending);
    this.#pending = '';
    if (this.#running === 0 && this.#bytes > COMPACT_AT_BYTES) {
      ftruncateSync(this.#fd, 0);
      this.#bytes = 0;
    }
  }

  #ensureDir(): void {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
  }

  #openEntries(): Entry[] {
    let text: string;
    try {
      text = readFileSync(join(this.#dir, JOURNAL), 'utf8');
    } catch {
      return [];
    }
    const open = new Map<string, Entry>();
    for (const line of text.split('\n')) {
      const [mark, name, pid, startedAtMs] = line.split(' ');
      if (!name) continue;
      if (mark === '+' && Number(pid) > 1) open.set(name, { name, pid: Number(pid), startedAtMs: Number(startedAtMs) });
      else if (mark === '-') open.delete(name);
    }
    return [...open.values()];
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone.
  }
}

function processExists(pid: number): boolean {
  try {
    readFileSync(`/proc/${pid}/stat`);
    return true;
  } catch {
    return false;
  }
}

let bootTimeMs: number | null = null;

/** Whether `pid` is still the process that started at `startedAtMs` (a reused pid starts later). */
function isSameProcess(pid: number, startedAtMs: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return false;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]);
  bootTimeMs ??= Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'))?.[1] ?? 0) * 1000;
  const startMs = bootTimeMs + (ticks * 1000) / TICKS_PER_SECOND;
  // Recorded when the helper said it started, so a little after; btime has a second's resolution.
  return Number.isFinite(startMs) && startMs <= startedAtMs + 2000;
}

/** Processes whose environment says they are jobs of this node: DIST_EXEC_NODE_ID=<id> (as root: all of them). */
function processesOfNode(nodeId: string): { pid: number; ref: AttemptRef | null }[] {
  const node = `DIST_EXEC_NODE_ID=${nodeId}`;
  const found: { pid: number; ref: AttemptRef | null }[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return found;
  }
  for (const name of pids) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    let entries: string[];
    try {
      entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!entries.includes(node)) continue;
    const jobId = entries.find((e) => e.startsWith('DIST_EXEC_JOB_ID='))?.slice('DIST_EXEC_JOB_ID='.length);
    const attempt = Number(entries.find((e) => e.startsWith('DIST_EXEC_ATTEMPT='))?.slice('DIST_EXEC_ATTEMPT='.length));
    found.push({ pid, ref: jobId && attempt > 0 ? { jobId, attempt } : null });
  }
  return found;
}
