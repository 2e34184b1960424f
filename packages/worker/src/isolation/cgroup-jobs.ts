import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { errorMessage } from '@dist-exec/core';
import type { CgroupPlan } from '../executors/spawner-protocol.js';
import type { CgroupLayout, Controller } from './cgroup-layout.js';

/** cgroup v1 cpu quota period, and the smallest quota the kernel takes. */
const CPU_PERIOD_US = 100_000;
const MIN_CPU_QUOTA_US = 1000;
/** How long leftovers of a previous life may take to die before the sweep moves on. */
const SWEEP_KILL_MS = 2000;

export class CgroupUnavailableError extends Error {
  override readonly name = 'CgroupUnavailableError';
}

export interface CgroupJobsOptions {
  layout: CgroupLayout;
  workerId: string;
  /** Parent of this worker's cgroup dir, from each hierarchy's root ("/dist-exec"). */
  parent: string;
  maxJobPids: number;
}

/** What a job's cgroup recorded when it ended. */
export interface CgroupUsage {
  peakMemoryBytes: number;
  /** null when the job had no cpu accounting (v1 without cpuacct joined). */
  cpuTimeMs: number | null;
  /** Processes the kernel's OOM killer killed in the job's cgroup. */
  oomKills: number;
}

interface Hierarchy {
  /** This worker's dir: jobs' dirs go inside. */
  root: string;
  controllers: Controller[];
}

/**
 * A cgroup per job: the worker's dir (`<parent>/<worker id>`) is created at
 * start, each job gets `<worker dir>/<job>-<attempt>` with its limits, and
 * the helper joins, kills, reads and removes it. cgroup v2 uses one dir with
 * memory, pids and cpu enabled; v1 a dir in the memory and pids hierarchies,
 * and in cpu (with cpuacct where mounted together) when the job asks for cpu.
 */
export class CgroupJobs {
  readonly version: 1 | 2;
  readonly #hierarchies: Hierarchy[];
  readonly #maxJobPids: number;
  /** Optional files this kernel has (probed in the worker's dir). */
  readonly #has: { memsw: boolean; swapMax: boolean; peak: boolean; oomKill: boolean; cpu: boolean };

  constructor(options: CgroupJobsOptions) {
    const { layout } = options;
    this.version = layout.version;
    this.#maxJobPids = options.maxJobPids;
    this.#hierarchies = layout.version === 2 ? [v2Hierarchy(layout, options)] : v1Hierarchies(layout, options);
    for (const hierarchy of this.#hierarchies) {
      try {
        mkdirSync(hierarchy.root, { recursive: true });
      } catch (error) {
        throw new CgroupUnavailableError(`cannot create ${hierarchy.root}: ${errorMessage(error)}`);
      }
    }
    if (layout.version === 2) enableControllers(layout, this.#hierarchies[0] as Hierarchy);
    const memory = this.#dirOf('memory');
    const cpu = this.#hierarchies.some((h) => h.controllers.includes('cpu'));
    this.#has =
      layout.version === 2
        ? {
            memsw: false,
            swapMax: existsSync(join(memory, 'memory.swap.max')),
            peak: existsSync(join(memory, 'memory.peak')),
            oomKill: readable(join(memory, 'memory.events')).includes('oom_kill'),
            cpu,
          }
        : {
            memsw: existsSync(join(memory, 'memory.memsw.limit_in_bytes')),
            swapMax: false,
            peak: true,
            oomKill: readable(join(memory, 'memory.oom_control')).includes('oom_kill'),
            cpu,
          };
    if (!existsSync(join(this.#dirOf('pids'), 'pids.max')))
      throw new CgroupUnavailableError(`${this.#dirOf('pids')} has no pids.max (is the pids controller enabled?)`);
  }

  /** The worker's dirs, one per hierarchy. */
  get roots(): string[] {
    return this.#hierarchies.map((h) => h.root);
  }

  /** What jobs get, for the start-up line. */
  get enforces(): string[] {
    return [
      `memory limit (${this.version === 2 ? 'memory.max' : 'memory.limit_in_bytes'}${this.#has.memsw ? ' + memsw' : ''}${this.#has.swapMax ? ', no swap' : ''})`,
      ...(this.#has.cpu ? ['cpu quota'] : []),
      `pids limit (${this.#maxJobPids})`,
      ...(this.#has.oomKill ? ['OOM kills reported as OUT_OF_MEMORY'] : []),
      'everything in the cgroup killed at the end',
    ];
  }

  #dirOf(controller: Controller): string {
    const hierarchy = this.#hierarchies.find((h) => h.controllers.includes(controller)) ?? this.#hierarchies[0];
    return (hierarchy as Hierarchy).root;
  }

  /** The cgroups of one attempt: `name` is unique per attempt on this worker. */
  plan(name: string, limits: { memoryBytes: number; cpu: number }): CgroupPlan {
    const join2 = (controller: Controller, file: string): string => join(this.#dirOf(controller), name, file);
    const writes: [string, string][] = [];
    const reads: string[] = [];
    const wantsCpu = limits.cpu > 0 && this.#has.cpu;
    // v1: the cpu (and cpuacct) hierarchies cost a dir and a move per job: joined only by jobs that ask for cpu.
    const cpuOnly = (h: Hierarchy): boolean => h.controllers.every((c) => c === 'cpu' || c === 'cpuacct');
    const dirs = this.#hierarchies.filter((h) => wantsCpu || !cpuOnly(h)).map((h) => join(h.root, name));
    // The pids dir first: the helper lists (and kills) the job's processes through it.
    dirs.sort((a, b) => Number(b.startsWith(this.#dirOf('pids'))) - Number(a.startsWith(this.#dirOf('pids'))));
    const quota = String(Math.max(MIN_CPU_QUOTA_US, Math.round(limits.cpu * CPU_PERIOD_US)));
    if (this.version === 2) {
      if (limits.memoryBytes > 0) {
        writes.push([join2('memory', 'memory.max'), String(limits.memoryBytes)]);
        if (this.#has.swapMax) writes.push([join2('memory', 'memory.swap.max'), '0']);
      }
      writes.push([join2('pids', 'pids.max'), String(this.#maxJobPids)]);
      if (wantsCpu) writes.push([join2('cpu', 'cpu.max'), `${quota} ${CPU_PERIOD_US}`]);
      reads.push(
        this.#has.peak ? join2('memory', 'memory.peak') : '',
        join2('memory', 'memory.events'),
        join2('cpu', 'cpu.stat'),
      );
    } else {
      if (limits.memoryBytes > 0) {
        writes.push([join2('memory', 'memory.limit_in_bytes'), String(limits.memoryBytes)]);
        if (this.#has.memsw) writes.push([join2('memory', 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)]);
      }
      writes.push([join2('pids', 'pids.max'), String(this.#maxJobPids)]);
      if (wantsCpu) {
        writes.push([join2('cpu', 'cpu.cfs_period_us'), String(CPU_PERIOD_US)]);
        writes.push([join2('cpu', 'cpu.cfs_quota_us'), quota]);
      }
      const cpuacct = wantsCpu && this.#hierarchies.some((h) => h.controllers.includes('cpuacct'));
      reads.push(
        join2('memory', 'memory.max_usage_in_bytes'),
        join2('memory', 'memory.oom_control'),
        cpuacct ? join2('cpuacct', 'cpuacct.usage') : '',
      );
    }
    return { dirs, writes, reads: reads.filter(Boolean), remove: true };
  }

  /** What the job used, from the contents of `plan.reads` (in the order `plan` listed them). */
  usage(plan: CgroupPlan, contents: readonly string[]): CgroupUsage {
    const content = (suffix: string): string | null => {
      const index = plan.reads.findIndex((path) => path.endsWith(suffix));
      return index < 0 ? null : (contents[index] ?? '');
    };
    const field = (text: string | null, name: string): number => {
      const match = text === null ? null : new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
      return match ? Number(match[1]) : 0;
    };
    if (this.version === 2) {
      const cpu = content('/cpu.stat');
      return {
        peakMemoryBytes: Number(content('/memory.peak') ?? 0) || 0,
        cpuTimeMs: cpu === null ? null : Math.round(field(cpu, 'usage_usec') / 1000),
        oomKills: field(content('/memory.events'), 'oom_kill'),
      };
    }
    const cpuacct = content('/cpuacct.usage');
    return {
      peakMemoryBytes: Number(content('/memory.max_usage_in_bytes') ?? 0) || 0,
      cpuTimeMs: cpuacct === null ? null : Math.round(Number(cpuacct) / 1e6),
      oomKills: field(content('/memory.oom_control'), 'oom_kill'),
    };
  }

  /**
   * Kills whatever runs in the given job cgroups (a previous life's, or a
   * job whose helper died) and removes them. Returns the job names found.
   */
  async sweep(only?: ReadonlySet<string>): Promise<string[]> {
    const names = new Set<string>();
    for (const hierarchy of this.#hierarchies) {
      let entries: string[];
      try {
        entries = readdirSync(hierarchy.root, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name);
      } catch {
        continue;
      }
      for (const name of entries) if (!only || only.has(name)) names.add(name);
    }
    for (const name of names) await this.kill(name);
    return [...names];
  }

  /** SIGKILLs everything in a job's cgroups until they are empty (or the time is up), then removes them. */
  async kill(name: string): Promise<void> {
    await killAndRemove(this.#hierarchies.map((h) => join(h.root, name)).filter((dir) => existsSync(dir)));
  }

  /**
   * Sweeps a worker dir a previous life used (other flags, another parent):
   * kills and removes the job dirs in it, then the dir itself. Returns the job names.
   */
  static async sweepRoot(root: string): Promise<string[]> {
    let names: string[];
    try {
      names = readdirSync(root, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return [];
    }
    for (const name of names) await killAndRemove([join(root, name)]);
    try {
      rmdirSync(root);
    } catch {
      // In use again (the same dir as now), or not empty.
    }
    return names;
  }

  /** Removes the worker's own dirs (at stop; jobs' dirs are gone by then). */
  remove(): void {
    for (const hierarchy of this.#hierarchies) {
      try {
        rmdirSync(hierarchy.root);
      } catch {
        // Not empty (a job outlived its kill) or gone: the next start sweeps it.
      }
    }
  }
}

/** SIGKILLs everything in the dirs until they are empty (or the time is up), then removes them. */
async function killAndRemove(dirs: readonly string[]): Promise<void> {
  const deadline = Date.now() + SWEEP_KILL_MS;
  for (;;) {
    let alive = 0;
    for (const dir of dirs) {
      try {
        writeFileSync(join(dir, 'cgroup.kill'), '1');
      } catch {
        // v1, or a v2 kernel before 5.14: the loop below does it.
      }
      for (const pid of readable(join(dir, 'cgroup.procs')).split('\n').filter(Boolean)) {
        alive += 1;
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
    }
    if (alive === 0 || Date.now() > deadline) break;
    await delay(10);
  }
  for (const dir of dirs) {
    try {
      rmdirSync(dir);
    } catch {
      // Still busy: the next sweep tries again.
    }
  }
}

function readable(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** `<mount><parent>/<id>`. */
function workerDir(mount: string, parent: string, workerId: string): string {
  return join(mount, parent, workerId);
}

function v1Hierarchies(layout: Extract<CgroupLayout, { version: 1 }>, options: CgroupJobsOptions): Hierarchy[] {
  const byMount = new Map<string, Hierarchy>();
  for (const [controller, hierarchy] of Object.entries(layout.hierarchies) as [
    Controller,
    { mount: string; own: string },
  ][]) {
    const known = byMount.get(hierarchy.mount);
    if (known) known.controllers.push(controller);
    else
      byMount.set(hierarchy.mount, {
        root: workerDir(hierarchy.mount, options.parent, options.workerId),
        controllers: [controller],
      });
  }
  return [...byMount.values()];
}

function v2Hierarchy(layout: Extract<CgroupLayout, { version: 2 }>, options: CgroupJobsOptions): Hierarchy {
  return {
    root: workerDir(layout.mount, options.parent, options.workerId),
    controllers: ['memory', 'pids', 'cpu', 'cpuacct'],
  };
}

/**
 * cgroup v2 gives a child a controller only when its parent enables it in
 * cgroup.subtree_control, and a cgroup other than the root cannot do that
 * while processes live in it: enable memory, pids (and cpu) from the root of
 * the mount down to this worker's dir, and say plainly when that is refused.
 */
function enableControllers(layout: Extract<CgroupLayout, { version: 2 }>, hierarchy: Hierarchy): void {
  const base = layout.mount;
  const offered = readable(join(base, 'cgroup.controllers')).trim().split(/\s+/);
  const wanted = ['memory', 'pids', ...(offered.includes('cpu') ? ['cpu'] : [])];
  const missing = wanted.filter((c) => !offered.includes(c));
  if (missing.length)
    throw new CgroupUnavailableError(`${base} does not offer the ${missing.join(' and ')} controller`);
  const chain: string[] = [];
  for (let dir = hierarchy.root; dir.length >= base.length; dir = join(dir, '..')) {
    chain.unshift(dir);
    if (dir === base) break;
  }
  for (const dir of chain) {
    try {
      writeFileSync(join(dir, 'cgroup.subtree_control'), wanted.map((c) => `+${c}`).join(' '));
    } catch (error) {
      const busy = (error as NodeJS.ErrnoException).code === 'EBUSY';
      throw new CgroupUnavailableError(
        busy
          ? `cgroup v2 will not enable ${wanted.join(', ')} below ${dir} while processes live in it (the cgroup of a container?): give --cgroup-parent a subtree without processes where they can be enabled`
          : `cannot enable ${wanted.join(', ')} in ${dir}: ${errorMessage(error)}`,
      );
    }
  }
}
