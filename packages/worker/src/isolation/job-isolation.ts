import { createHash } from 'node:crypto';
import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { errorMessage, formatBytes, InvalidArgumentError, type AttemptRef, type JobSpec } from '@dist-exec/core';
import type { Logger } from 'pino';
import type { CgroupPlan, Credentials, ResourceLimit, SpawnUsage } from '../executors/spawner-protocol.js';
import { cgroupLayout } from './cgroup-layout.js';
import { CgroupJobs, CgroupUnavailableError, type JobCgroup } from './cgroup-jobs.js';
import { sweepRoot } from './cgroup-tree.js';
import { attemptFromName, attemptName, Leftovers } from './leftovers.js';
import { resolveUser, type JobUser } from './users.js';

export type IsolationMode = 'auto' | 'cgroup' | 'rlimit' | 'none';
export const ISOLATION_MODES: readonly IsolationMode[] = ['auto', 'cgroup', 'rlimit', 'none'];
/** How jobs start, which decides what can be enforced: only a helper can put a job in a cgroup before it runs. */
export type SpawnPath = 'native' | 'perl' | 'direct';

export const DEFAULT_MAX_JOB_PIDS = 4096;
export const DEFAULT_CGROUP_PARENT = '/dist-exec';
/** Linux's RLIMIT_* numbers (the same on x86-64 and arm64). */
const RLIMIT_NPROC = 6;
const RLIMIT_AS = 9;

export interface IsolationOptions {
  /**
   * cgroup: a cgroup per job (memory, cpu, pids; OOM kills reported);
   * rlimit: setrlimit/prlimit (address space; processes under --run-as);
   * none: only the kill of what a job leaves behind; auto: cgroup where the
   * worker can create them, else rlimit.
   * @default 'none' (the dist-exec-worker program defaults to 'auto')
   */
  mode?: IsolationMode;
  /** pids.max of each job's cgroup (a fork bomb stops there). @default 4096 */
  maxJobPids?: number;
  /** Run every job as this user (and its groups) unless the job names one of `allowedUsers`. */
  runAs?: string;
  /** Users a job may ask to run as (`spec.user`). @default none */
  allowedUsers?: readonly string[];
  /**
   * Parent of this worker's cgroups (its dir is `<parent>/<worker id>.<hash of
   * its state dir>`: see `workerCgroupName`), from
   * the root of each hierarchy (cgroup v1) or of the cgroup2 mount.
   * @default '/dist-exec'
   */
  cgroupParent?: string;
}

/**
 * The name of a worker's cgroup dir: its id and a hash of its state dir's
 * absolute path. A restart of the same worker (same id, same --state-dir)
 * finds the dir its previous life left; two workers that share an id but not
 * a state dir (test clusters side by side on one machine) never share a
 * cgroup, so neither sweeps nor kills the other's jobs at start.
 */
export function workerCgroupName(nodeId: string, stateDir: string): string {
  return `${nodeId}.${createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 8)}`;
}

/** What the worker learns at start. */
export interface IsolationStart {
  nodeId: string;
  stateDir: string;
  logger: Logger;
}

/** How one attempt is isolated: what goes into its spawn request. */
export interface AttemptIsolation {
  name: string;
  credentials: Credentials | null;
  /** Set by the native helper before exec. */
  limits: ResourceLimit[];
  /** Put in front of the argv where the helper cannot set limits itself (`prlimit ... --`). */
  argvPrefix: string[];
  cgroup: CgroupPlan | null;
  /** The cgroup behind the plan (its pool slot on v1). */
  jobCgroup: JobCgroup | null;
  marker: string;
  /** Laid under the job's own env (HOME, USER, LOGNAME of the user it runs as). */
  env: Record<string, string>;
  memoryLimitBytes: number;
}

/** What an attempt used, and whether the kernel's OOM killer ended it. */
export interface AttemptUsage {
  peakMemoryBytes: number;
  cpuTimeMs: number;
  oomKilled: boolean;
}

const EMPTY_ENV: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * Decides how jobs are confined and carries it out with the spawner: detects
 * cgroups at start (v2, or the v1/hybrid layout) and falls back to rlimits
 * where they are not writable, resolves the users jobs run as, plans each
 * attempt's cgroup, limits and credentials, reads what it used, and keeps the
 * record (in --state-dir) that lets a restarted worker kill what its previous
 * life left running.
 */
export class JobIsolation {
  /** The `env` of a plan that adds nothing to the job's environment. */
  static readonly NO_ENV = EMPTY_ENV;
  readonly #mode: IsolationMode;
  readonly #path: SpawnPath;
  readonly #maxJobPids: number;
  readonly #cgroupParent: string;
  readonly #runAs: JobUser | null;
  readonly #allowed = new Map<string, JobUser>();
  #backend: 'cgroup' | 'rlimit' | 'none' = 'none';
  #cgroups: CgroupJobs | null = null;
  #leftovers: Leftovers | null = null;
  #log: Logger | null = null;
  #started = false;

  /** The PATH jobs get: where prlimit is looked for. */
  readonly #searchPath: string;
  #prlimit = '';

  constructor(options: IsolationOptions & { spawnPath: SpawnPath; searchPath: string }) {
    this.#mode = options.mode ?? 'none';
    this.#path = options.spawnPath;
    this.#searchPath = options.searchPath;
    this.#maxJobPids = options.maxJobPids ?? DEFAULT_MAX_JOB_PIDS;
    this.#cgroupParent = options.cgroupParent || DEFAULT_CGROUP_PARENT;
    if (!ISOLATION_MODES.includes(this.#mode))
      throw new InvalidArgumentError(`--isolation: "${this.#mode}" is not one of ${ISOLATION_MODES.join(', ')}`, {
        field: '--isolation',
      });
    if (!Number.isInteger(this.#maxJobPids) || this.#maxJobPids < 1 || this.#maxJobPids > 4_194_304)
      throw new InvalidArgumentError(`--max-job-pids: ${this.#maxJobPids} is out of range; use 1 to 4194304`, {
        field: '--max-job-pids',
      });
    if (!this.#cgroupParent.startsWith('/') || this.#cgroupParent.split('/').includes('..'))
      throw new InvalidArgumentError(
        `--cgroup-parent: "${this.#cgroupParent}" must start with / (a path from the root of each cgroup hierarchy)`,
        { field: '--cgroup-parent' },
      );
    const wantsUsers = Boolean(options.runAs) || (options.allowedUsers?.length ?? 0) > 0;
    if (wantsUsers && process.getuid?.() !== 0) {
      const field = options.runAs ? '--run-as' : '--allowed-users';
      throw new InvalidArgumentError(`${field}: running jobs as another user needs the worker to run as root`, {
        field,
      });
    }
    this.#runAs = options.runAs ? resolveUser(options.runAs, '--run-as') : null;
    for (const name of options.allowedUsers ?? []) this.#allowed.set(name, resolveUser(name, '--allowed-users'));
  }

  /** The backend in use (known after start). */
  get backend(): 'cgroup' | 'rlimit' | 'none' {
    return this.#backend;
  }

  /**
   * Chooses the backend and says so in one line, then kills what a previous
   * life of this worker left running. Returns those attempts.
   */
  async start(context: IsolationStart): Promise<AttemptRef[]> {
    if (this.#started) return [];
    this.#started = true;
    this.#log = context.logger.child({ component: 'isolation' });
    const leftovers = new Leftovers(context.stateDir);
    this.#leftovers = leftovers;
    // What a previous life left: its journalled process groups, and its cgroups (wherever they were then).
    const found = new Map<string, AttemptRef>();
    for (const ref of leftovers.sweep(context.nodeId)) found.set(attemptName(ref), ref);
    for (const root of leftovers.previousCgroupRoots())
      for (const name of await sweepRoot(root)) {
        const ref = attemptFromName(name);
        if (ref) found.set(name, ref);
      }
    let fallback = '';
    if (this.#mode === 'cgroup' || this.#mode === 'auto') {
      try {
        this.#cgroups = this.#openCgroups(workerCgroupName(context.nodeId, context.stateDir));
        this.#backend = 'cgroup';
      } catch (error) {
        const why = errorMessage(error);
        if (this.#mode === 'cgroup')
          throw new InvalidArgumentError(`--isolation cgroup: ${why}`, { field: '--isolation', cause: error });
        fallback = why;
      }
    }
    if (this.#backend !== 'cgroup' && (this.#mode === 'rlimit' || this.#mode === 'auto')) {
      this.#prlimit = this.#path === 'native' ? '' : findOnPath('prlimit', this.#searchPath);
      if (this.#path !== 'native' && !this.#prlimit) {
        if (this.#mode === 'rlimit')
          throw new InvalidArgumentError(
            '--isolation rlimit: needs the native spawner or prlimit (util-linux) on the PATH',
            { field: '--isolation' },
          );
        fallback += '; no rlimits either: neither the native spawner nor prlimit';
      } else this.#backend = 'rlimit';
    }
    if (this.#cgroups) {
      // Found without a record (a lost --state-dir): the dirs are named after this worker.
      for (const name of await this.#cgroups.sweep()) {
        const ref = attemptFromName(name);
        if (ref) found.set(name, ref);
      }
    }
    leftovers.recordCgroupRoots(this.#cgroups?.roots ?? []);
    this.#log.info(
      {
        backend: this.#backend,
        ...(this.#cgroups ? { cgroupVersion: this.#cgroups.version, cgroups: this.#cgroups.roots } : {}),
        enforces: this.#enforces(),
        ...(fallback ? { fallback } : {}),
        spawn: this.#path,
        ...(this.#runAs ? { runAs: this.#runAs.name } : {}),
        ...(this.#allowed.size ? { allowedUsers: [...this.#allowed.keys()] } : {}),
      },
      'job isolation',
    );
    if (found.size)
      this.#log.warn(
        { attempts: [...found.values()] },
        'killed what a previous run of this worker left running; those attempts are reported lost',
      );
    return [...found.values()];
  }

  #openCgroups(dirName: string): CgroupJobs {
    if (this.#path === 'direct')
      throw new CgroupUnavailableError('jobs started directly (--spawn direct) cannot join a cgroup before they run');
    const read = (path: string): string => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return '';
      }
    };
    const mountinfo = read('/proc/self/mountinfo');
    const unified = /^\S+ \S+ \S+ \S+ (\S+) .* - cgroup2 /m.exec(mountinfo)?.[1];
    const v2Controllers = unified ? read(join(unified, 'cgroup.controllers')).trim().split(/\s+/) : [];
    const layout = cgroupLayout(mountinfo, read('/proc/self/cgroup'), v2Controllers);
    if (!layout) throw new CgroupUnavailableError('no cgroup hierarchy with the memory and pids controllers');
    return new CgroupJobs({
      layout,
      workerId: dirName,
      parent: this.#cgroupParent,
      maxJobPids: this.#maxJobPids,
    });
  }

  #enforces(): string[] {
    const always = ['what a job leaves running is killed when it ends'];
    if (this.#backend === 'cgroup') return [...(this.#cgroups?.enforces ?? []), ...always];
    if (this.#backend === 'rlimit')
      return [
        'memory limit as address space (RLIMIT_AS)',
        ...(this.#runAs || this.#allowed.size ? [`processes per user (RLIMIT_NPROC ${this.#maxJobPids})`] : []),
        ...always,
      ];
    return always;
  }

  /** Refuses what this worker will not run: a user it does not allow. */
  check(spec: Pick<JobSpec, 'user'>): void {
    if (!spec.user || spec.user === this.#runAs?.name || this.#allowed.has(spec.user)) return;
    const allowed = [...this.#allowed.keys()];
    throw new InvalidArgumentError(
      `spec.user: this worker does not run jobs as "${spec.user}"${allowed.length ? `; it allows ${allowed.join(', ')} (--allowed-users)` : ' (it has no --allowed-users)'}`,
      { field: 'spec.user' },
    );
  }

  /** How one attempt runs. `ref` names its cgroup and its journal entry. */
  plan(ref: AttemptRef | undefined, spec: JobSpec): AttemptIsolation {
    this.check(spec);
    const name = ref ? attemptName(ref) : `local-${process.pid}-${(this.#seq += 1)}`;
    const user = spec.user ? (this.#allowed.get(spec.user) ?? this.#runAs) : this.#runAs;
    const memoryLimitBytes = spec.memoryLimitBytes || spec.memoryBytes;
    const plan: AttemptIsolation = {
      name,
      credentials: user ? { uid: user.uid, gid: user.gid, groups: user.groups } : null,
      limits: [],
      argvPrefix: [],
      cgroup: null,
      jobCgroup: null,
      marker: spec.env.DIST_EXEC_JOB_ID ? `DIST_EXEC_JOB_ID=${spec.env.DIST_EXEC_JOB_ID}` : '',
      env: user ? { HOME: user.home, USER: user.name, LOGNAME: user.name } : EMPTY_ENV,
      memoryLimitBytes,
    };
    if (this.#backend === 'cgroup' && this.#cgroups) {
      plan.jobCgroup = this.#cgroups.plan(name, { memoryBytes: memoryLimitBytes, cpu: spec.cpu });
      plan.cgroup = plan.jobCgroup.plan;
      plan.marker = '';
    } else if (this.#backend === 'rlimit') {
      const nproc = user ? this.#maxJobPids : 0;
      if (this.#path === 'native') {
        if (memoryLimitBytes) plan.limits.push({ resource: RLIMIT_AS, soft: memoryLimitBytes, hard: memoryLimitBytes });
        if (nproc) plan.limits.push({ resource: RLIMIT_NPROC, soft: nproc, hard: nproc });
      } else if (memoryLimitBytes || nproc) {
        plan.argvPrefix = [
          this.#prlimit,
          ...(memoryLimitBytes ? [`--as=${memoryLimitBytes}`] : []),
          ...(nproc ? [`--nproc=${nproc}`] : []),
          '--',
        ];
      }
    }
    return plan;
  }

  #seq = 0;

  started(plan: AttemptIsolation, pid: number): void {
    this.#leftovers?.started(plan.name, pid, Date.now());
  }

  /**
   * The attempt ended: what it used (from its cgroup, else from the helper's
   * rusage) and whether the OOM killer ended it; its cgroup goes back to the
   * pool (or away), and the journal notes the end.
   */
  ended(plan: AttemptIsolation, measured: SpawnUsage | null): AttemptUsage {
    this.#leftovers?.ended(plan.name);
    if (!measured) {
      if (plan.jobCgroup) this.#cgroups?.release(plan.jobCgroup, null, false);
      return { peakMemoryBytes: 0, cpuTimeMs: 0, oomKilled: false };
    }
    if (!measured.clean)
      this.#log?.warn({ attempt: plan.name }, 'processes of the job were still alive after it was killed');
    const rusageCpuMs = Math.round(measured.cpuMicros / 1000);
    if (plan.jobCgroup && this.#cgroups) {
      const used = this.#cgroups.usage(plan.jobCgroup, measured.reads);
      this.#cgroups.release(plan.jobCgroup, measured.reads, measured.clean);
      return {
        peakMemoryBytes: used.peakMemoryBytes || measured.maxRssBytes,
        cpuTimeMs: used.cpuTimeMs ?? rusageCpuMs,
        oomKilled: used.oomKills > 0,
      };
    }
    return { peakMemoryBytes: measured.maxRssBytes, cpuTimeMs: rusageCpuMs, oomKilled: false };
  }

  /** The attempt did not start (`started`: it had, and its helper died): its cgroup is killed and given up. */
  failed(plan: AttemptIsolation, started: boolean): void {
    if (started) this.#leftovers?.ended(plan.name);
    if (plan.jobCgroup && this.#cgroups) void this.#cgroups.kill(plan.jobCgroup);
  }

  /** The error of an attempt the OOM killer ended. */
  static oomError(plan: AttemptIsolation, usage: AttemptUsage): string {
    const limit = plan.memoryLimitBytes ? ` of ${formatBytes(plan.memoryLimitBytes)}` : '';
    return `killed by the kernel's OOM killer: it went over its memory limit${limit} (peak ${formatBytes(usage.peakMemoryBytes)}); ask for more with --memory or --memory-limit`;
  }

  stop(): void {
    this.#cgroups?.remove();
    this.#leftovers?.close();
  }
}

/** The program's path in a PATH, or ''. */
function findOnPath(program: string, path: string): string {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, program), fsConstants.X_OK);
      return join(dir, program);
    } catch {
      // Not here.
    }
  }
  return '';
}
