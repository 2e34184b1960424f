import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { errorMessage } from '@dist-exec/core';
import type { CgroupLayout, Controller } from './cgroup-layout.js';

/**
 * The worker's own cgroup dirs (`<mount><parent>/<worker id>.<hash>` in each
 * hierarchy) and what can be done to a tree of them as a whole: create them
 * (enabling controllers on cgroup v2), see which optional files this kernel
 * has, and kill and remove what is inside.
 */

/** How long what is in a cgroup may take to die before the kill moves on. */
const KILL_WITHIN_MS = 2000;

export class CgroupUnavailableError extends Error {
  override readonly name = 'CgroupUnavailableError';
}

export interface Hierarchy {
  /** This worker's dir: the dirs of its jobs go inside. */
  root: string;
  controllers: Controller[];
}

/** Optional files of this kernel, looked for in the worker's dirs. */
export interface CgroupFiles {
  /** v1 memory.memsw.* (swap accounting). */
  memsw: boolean;
  /** v2 memory.swap.max. */
  swapMax: boolean;
  /** v2 memory.peak (5.19 and later). */
  peak: boolean;
  /** The OOM-kill count (v1 memory.oom_control since 4.13, v2 memory.events). */
  oomKill: boolean;
  cpu: boolean;
}

/** Creates this worker's dirs; throws CgroupUnavailableError saying why it cannot. */
export function createWorkerDirs(layout: CgroupLayout, parent: string, workerId: string): Hierarchy[] {
  const hierarchies =
    layout.version === 2 ? [v2Hierarchy(layout, parent, workerId)] : v1Hierarchies(layout, parent, workerId);
  for (const hierarchy of hierarchies) {
    try {
      mkdirSync(hierarchy.root, { recursive: true });
    } catch (error) {
      throw new CgroupUnavailableError(`cannot create ${hierarchy.root}: ${errorMessage(error)}`);
    }
  }
  if (layout.version === 2) enableControllers(layout, hierarchies[0] as Hierarchy);
  return hierarchies;
}

export function probeFiles(version: 1 | 2, memory: string, pids: string, cpu: boolean): CgroupFiles {
  if (!existsSync(join(pids, 'pids.max')))
    throw new CgroupUnavailableError(`${pids} has no pids.max (is the pids controller enabled?)`);
  return version === 2
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
}

/** The names of the dirs inside a worker dir (its jobs', or its pool's). */
export function subdirs(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** SIGKILLs everything in the dirs until they are empty (or the time is up), then removes them. */
export async function killAndRemove(dirs: readonly string[]): Promise<void> {
  const deadline = Date.now() + KILL_WITHIN_MS;
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

/**
 * Sweeps a worker dir a previous life used (other flags, another parent):
 * kills and removes the dirs in it, then the dir itself. Returns their names.
 */
export async function sweepRoot(root: string): Promise<string[]> {
  const names = subdirs(root);
  for (const name of names) await killAndRemove([join(root, name)]);
  try {
    rmdirSync(root);
  } catch {
    // Not empty, or gone.
  }
  return names;
}

export function readable(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function v1Hierarchies(layout: Extract<CgroupLayout, { version: 1 }>, parent: string, workerId: string): Hierarchy[] {
  const byMount = new Map<string, Hierarchy>();
  for (const [controller, hierarchy] of Object.entries(layout.hierarchies) as [Controller, { mount: string }][]) {
    const known = byMount.get(hierarchy.mount);
    if (known) known.controllers.push(controller);
    else byMount.set(hierarchy.mount, { root: join(hierarchy.mount, parent, workerId), controllers: [controller] });
  }
  return [...byMount.values()];
}

function v2Hierarchy(layout: Extract<CgroupLayout, { version: 2 }>, parent: string, workerId: string): Hierarchy {
  return { root: join(layout.mount, parent, workerId), controllers: ['memory', 'pids', 'cpu', 'cpuacct'] };
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
