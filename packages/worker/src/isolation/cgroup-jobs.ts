import { rmdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupPlan } from '../executors/spawner-protocol.js';
import type { CgroupLayout, Controller } from './cgroup-layout.js';
import {
  createWorkerDirs,
  killAndRemove,
  probeFiles,
  subdirs,
  type CgroupFiles,
  type Hierarchy,
} from './cgroup-tree.js';

export { CgroupUnavailableError } from './cgroup-tree.js';

/** cgroup cpu quota period, and the smallest quota the kernel takes. */
const CPU_PERIOD_US = 100_000;
const MIN_CPU_QUOTA_US = 1000;
/** A v1 slot still charged with more than this after its job (files in tmpfs, say) is not used again. */
const RESIDUE_BYTES = 4 * 1024 * 1024;
const OOM_KILL = /^oom_kill (\d+)$/m;
const USAGE_USEC = /^usage_usec (\d+)$/m;

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

/**
 * A v1 cgroup slot, used by one job at a time. Creating (and removing) a
 * memory cgroup costs more than the rest of a job's isolation together, so
 * v1 slots are kept and used again; their files are written only when a job
 * needs other values than the last one, and their counters are reset.
 */
interface Slot {
  name: string;
  /** What memory.limit_in_bytes holds (Infinity: unlimited, as created). */
  memoryLimit: number;
  cpuQuota: string;
  /** Its dirs in the cpu (and cpuacct) hierarchies exist. */
  cpuDirs: boolean;
  pidsSet: boolean;
  used: boolean;
  /** memory.oom_control's oom_kill when it was last read: the next job's OOM kills are counted from there. */
  oomKills: number;
}

/** A job's cgroups: the plan the helper carries out, and the slot it runs in (v1). */
export interface JobCgroup {
  plan: CgroupPlan;
  slot: Slot | null;
}

/**
 * A cgroup per job, under this worker's dir (`<parent>/<worker id>.<hash>`, created
 * at start): its limits, the files that say what it used, and what happens
 * to it after. cgroup v2: a dir per job (`<job>-<attempt>`) with memory, pids
 * and cpu, removed at the end. v1: a slot in the memory and pids hierarchies
 * (and cpu and cpuacct when the job asks for cpu), kept for the next job.
 */
export class CgroupJobs {
  readonly version: 1 | 2;
  readonly #hierarchies: Hierarchy[];
  readonly #maxJobPids: number;
  /** Each controller's worker dir with a trailing slash; '' when the controller is not there. */
  readonly #prefixes: Record<Controller, string>;
  readonly #pidsMax: string;
  readonly #has: CgroupFiles;
  readonly #free: Slot[] = [];
  #slots = 0;

  constructor(options: CgroupJobsOptions) {
    this.version = options.layout.version;
    this.#maxJobPids = options.maxJobPids;
    this.#pidsMax = String(options.maxJobPids);
    this.#hierarchies = createWorkerDirs(options.layout, options.parent, options.workerId);
    const prefix = (controller: Controller): string => {
      const hierarchy = this.#hierarchies.find((h) => h.controllers.includes(controller));
      return hierarchy ? `${hierarchy.root}/` : '';
    };
    this.#prefixes = { memory: prefix('memory'), pids: prefix('pids'), cpu: prefix('cpu'), cpuacct: prefix('cpuacct') };
    const dir = (controller: Controller): string => this.#prefixes[controller].slice(0, -1);
    this.#has = probeFiles(this.version, dir('memory'), dir('pids'), this.#prefixes.cpu !== '');
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

  /**
   * The cgroups of one attempt (`name` is unique per attempt on this worker).
   * Paths are built by concatenation, not path.join: this runs for every job.
   */
  plan(name: string, limits: { memoryBytes: number; cpu: number }): JobCgroup {
    return this.version === 2 ? { plan: this.#planV2(name, limits), slot: null } : this.#planV1(limits);
  }

  #planV2(name: string, limits: { memoryBytes: number; cpu: number }): CgroupPlan {
    const dir = `${this.#prefixes.memory}${name}`;
    const writes: [string, string][] = [];
    if (limits.memoryBytes > 0) {
      writes.push([`${dir}/memory.max`, String(limits.memoryBytes)]);
      if (this.#has.swapMax) writes.push([`${dir}/memory.swap.max`, '0']);
    }
    writes.push([`${dir}/pids.max`, this.#pidsMax]);
    if (limits.cpu > 0 && this.#has.cpu) writes.push([`${dir}/cpu.max`, `${quotaOf(limits.cpu)} ${CPU_PERIOD_US}`]);
    const reads = [`${dir}/memory.events`, `${dir}/cpu.stat`];
    if (this.#has.peak) reads.unshift(`${dir}/memory.peak`);
    return { dirs: [dir], writes, reads, remove: true };
  }

  #planV1(limits: { memoryBytes: number; cpu: number }): JobCgroup {
    const { memory, pids, cpu, cpuacct } = this.#prefixes;
    const slot = this.#free.pop() ?? this.#newSlot();
    const wantsCpu = limits.cpu > 0 && cpu !== '';
    const memoryDir = `${memory}${slot.name}`;
    const pidsDir = `${pids}${slot.name}`;
    const cpuDir = `${cpu}${slot.name}`;
    const cpuacctDir = cpuacct && cpuacct !== cpu ? `${cpuacct}${slot.name}` : '';
    // The pids dir first: the helper lists (and kills) the job's processes through it.
    const dirs = memoryDir === pidsDir ? [pidsDir] : [pidsDir, memoryDir];
    // The cpu (and cpuacct) hierarchies cost a move per job: joined only by jobs that ask for cpu.
    if (wantsCpu) dirs.push(cpuDir, ...(cpuacctDir ? [cpuacctDir] : []));
    const writes: [string, string][] = [];
    if (slot.used) {
      writes.push([`${memoryDir}/memory.max_usage_in_bytes`, '0']);
      if (wantsCpu && slot.cpuDirs && cpuacct) writes.push([`${cpuacctDir || cpuDir}/cpuacct.usage`, '0']);
    }
    const limit = limits.memoryBytes > 0 ? limits.memoryBytes : Infinity;
    if (limit !== slot.memoryLimit) {
      const value = limit === Infinity ? '-1' : String(limit);
      const memLimit: [string, string] = [`${memoryDir}/memory.limit_in_bytes`, value];
      const memswLimit: [string, string] = [`${memoryDir}/memory.memsw.limit_in_bytes`, value];
      // memsw may never be below the memory limit: raise it first, lower it last.
      if (!this.#has.memsw) writes.push(memLimit);
      else if (limit > slot.memoryLimit) writes.push(memswLimit, memLimit);
      else writes.push(memLimit, memswLimit);
      slot.memoryLimit = limit;
    }
    if (!slot.pidsSet) writes.push([`${pidsDir}/pids.max`, this.#pidsMax]);
    if (wantsCpu) {
      if (!slot.cpuDirs) writes.push([`${cpuDir}/cpu.cfs_period_us`, String(CPU_PERIOD_US)]);
      const quota = quotaOf(limits.cpu);
      if (quota !== slot.cpuQuota) writes.push([`${cpuDir}/cpu.cfs_quota_us`, quota]);
      slot.cpuQuota = quota;
      slot.cpuDirs = true;
    }
    slot.pidsSet = true;
    slot.used = true;
    const reads = [
      `${memoryDir}/memory.max_usage_in_bytes`,
      `${memoryDir}/memory.oom_control`,
      `${memoryDir}/memory.usage_in_bytes`,
    ];
    if (wantsCpu && cpuacct) reads.push(`${cpuacctDir || cpuDir}/cpuacct.usage`);
    return { plan: { dirs, writes, reads, remove: false }, slot };
  }

  #newSlot(): Slot {
    this.#slots += 1;
    return {
      name: `slot.${this.#slots}`,
      memoryLimit: Infinity,
      cpuQuota: '',
      cpuDirs: false,
      pidsSet: false,
      used: false,
      oomKills: 0,
    };
  }

  /** What the job used, from the contents of its plan's `reads` (in their order). */
  usage(job: JobCgroup, contents: readonly string[]): CgroupUsage {
    const content = (suffix: string): string | null => {
      const index = job.plan.reads.findIndex((path) => path.endsWith(suffix));
      return index < 0 ? null : (contents[index] ?? '');
    };
    if (this.version === 2) {
      const cpu = content('/cpu.stat');
      return {
        peakMemoryBytes: Number(content('/memory.peak') ?? 0) || 0,
        cpuTimeMs: cpu === null ? null : Math.round(field(cpu, USAGE_USEC) / 1000),
        oomKills: field(content('/memory.events'), OOM_KILL),
      };
    }
    const cpuacct = content('/cpuacct.usage');
    return {
      peakMemoryBytes: Number(content('/memory.max_usage_in_bytes') ?? 0) || 0,
      cpuTimeMs: cpuacct === null ? null : Math.round(Number(cpuacct) / 1e6),
      oomKills: Math.max(0, field(content('/memory.oom_control'), OOM_KILL) - (job.slot?.oomKills ?? 0)),
    };
  }

  /**
   * The job ended (`contents` of its reads; null when its end was not seen):
   * a clean slot goes back to the pool, one that is not is killed and removed.
   */
  release(job: JobCgroup, contents: readonly string[] | null, clean: boolean): void {
    const slot = job.slot;
    if (!slot) return;
    const residue = contents
      ? Number(contents[job.plan.reads.findIndex((p) => p.endsWith('/memory.usage_in_bytes'))])
      : NaN;
    if (clean && residue <= RESIDUE_BYTES) {
      slot.oomKills += this.usage(job, contents ?? []).oomKills;
      this.#free.push(slot);
      return;
    }
    void killAndRemove(this.#dirsOf(slot.name));
  }

  /** The helper died under the job: kill what is in its cgroups and remove them. */
  async kill(job: JobCgroup): Promise<void> {
    await killAndRemove(job.slot ? this.#dirsOf(job.slot.name) : job.plan.dirs);
  }

  #dirsOf(name: string): string[] {
    return this.#hierarchies.map((h) => join(h.root, name));
  }

  /** Kills what runs in this worker's cgroups (a previous life's jobs) and removes them. Returns their names. */
  async sweep(): Promise<string[]> {
    const names = new Set(this.#hierarchies.flatMap((h) => subdirs(h.root)));
    for (const name of names) await killAndRemove(this.#dirsOf(name));
    return [...names];
  }

  /** Removes the pool and the worker's own dirs (at stop, when no job runs). */
  remove(): void {
    for (const slot of this.#free.splice(0))
      for (const dir of this.#dirsOf(slot.name)) {
        try {
          rmdirSync(dir);
        } catch {
          // Never created in this hierarchy (cpu), or busy: the next start sweeps it.
        }
      }
    for (const hierarchy of this.#hierarchies) {
      try {
        rmdirSync(hierarchy.root);
      } catch {
        // Not empty (a job outlived its kill) or gone: the next start sweeps it.
      }
    }
  }
}

function quotaOf(cpu: number): string {
  return String(Math.max(MIN_CPU_QUOTA_US, Math.round(cpu * CPU_PERIOD_US)));
}

function field(text: string | null, pattern: RegExp): number {
  const match = text === null ? null : pattern.exec(text);
  return match ? Number(match[1]) : 0;
}
