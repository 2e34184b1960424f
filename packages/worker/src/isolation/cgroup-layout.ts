/**
 * Where this process's cgroups are, read from /proc/self/mountinfo and
 * /proc/self/cgroup (passed in as text, so this stays pure and testable):
 * cgroup v2 (one unified hierarchy) when memory and pids are available there,
 * else the v1 (or hybrid) hierarchies of memory, pids, cpu and cpuacct, each
 * mounted on its own or together (cpu,cpuacct).
 */

export type Controller = 'memory' | 'pids' | 'cpu' | 'cpuacct';

export interface CgroupV1Layout {
  version: 1;
  /** Per controller: the hierarchy's mount point and this process's cgroup dir in it. */
  hierarchies: Partial<Record<Controller, { mount: string; own: string }>>;
}

export interface CgroupV2Layout {
  version: 2;
  mount: string;
  /** This process's cgroup dir. */
  own: string;
}

export type CgroupLayout = CgroupV1Layout | CgroupV2Layout;

interface Mount {
  root: string;
  point: string;
  type: string;
  superOptions: string[];
}

/** mountinfo escapes spaces and friends as \040-style octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 6 || fields.length < dash + 4) continue;
    mounts.push({
      root: unescape(fields[3] as string),
      point: unescape(fields[4] as string),
      type: fields[dash + 1] as string,
      superOptions: (fields[dash + 3] as string).split(','),
    });
  }
  return mounts;
}

/** /proc/self/cgroup: "id:controllers:path" lines; v2's is "0::path". */
export function parseProcCgroup(text: string): { controllers: string[]; path: string }[] {
  const entries: { controllers: string[]; path: string }[] = [];
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    entries.push({ controllers: controllers ? controllers.split(',') : [], path: line.slice(second + 1) });
  }
  return entries;
}

/** The dir of `path` (a cgroup path as /proc/self/cgroup shows it) under a mount whose root is `root`. */
function dirUnder(mount: Mount, path: string): string {
  const root = mount.root === '/' ? '' : mount.root;
  if (root && path !== root && !path.startsWith(`${root}/`)) return mount.point; // outside the mount's view
  const rest = path.slice(root.length);
  return rest === '/' || rest === '' ? mount.point : `${mount.point}${rest}`;
}

/**
 * Reads the layout. `v2Controllers` are the controllers the v2 root offers
 * (its cgroup.controllers); v2 is used when memory and pids are among them.
 * null when neither layout offers memory and pids.
 */
export function cgroupLayout(mountinfo: string, procCgroup: string, v2Controllers: string[]): CgroupLayout | null {
  const mounts = parseMountinfo(mountinfo);
  const mine = parseProcCgroup(procCgroup);
  const unified = mounts.find((m) => m.type === 'cgroup2');
  const v2Path = mine.find((e) => e.controllers.length === 0)?.path;
  if (unified && v2Path !== undefined && v2Controllers.includes('memory') && v2Controllers.includes('pids'))
    return { version: 2, mount: unified.point, own: dirUnder(unified, v2Path) };
  const hierarchies: CgroupV1Layout['hierarchies'] = {};
  for (const controller of ['memory', 'pids', 'cpu', 'cpuacct'] as const) {
    const mount = mounts.find((m) => m.type === 'cgroup' && m.superOptions.includes(controller));
    const entry = mine.find((e) => e.controllers.includes(controller));
    if (mount && entry) hierarchies[controller] = { mount: mount.point, own: dirUnder(mount, entry.path) };
  }
  if (!hierarchies.memory || !hierarchies.pids) return null;
  return { version: 1, hierarchies };
}
