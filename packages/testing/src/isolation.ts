import { accessSync, constants, readFileSync } from 'node:fs';
import { cgroupLayout } from '@dist-exec/worker';

/**
 * Why this machine cannot run the isolation tests that need root and
 * writable cgroups; '' when it can. Those tests skip with this message, or
 * fail under DIST_EXEC_REQUIRE_TOOLS=1 (CI runs as root on machines that have them).
 */
export function cgroupsUnavailable(): string {
  if (process.getuid?.() !== 0) return 'the tests of cgroup isolation need root';
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  const mountinfo = read('/proc/self/mountinfo');
  const unified = /^\S+ \S+ \S+ \S+ (\S+) .* - cgroup2 /m.exec(mountinfo)?.[1];
  const controllers = unified ? read(`${unified}/cgroup.controllers`).trim().split(/\s+/) : [];
  const layout = cgroupLayout(mountinfo, read('/proc/self/cgroup'), controllers);
  if (!layout) return 'no cgroup hierarchy with the memory and pids controllers';
  const mounts =
    layout.version === 2
      ? [layout.mount]
      : [layout.hierarchies.memory?.mount ?? '', layout.hierarchies.pids?.mount ?? ''];
  for (const mount of mounts) {
    try {
      accessSync(mount, constants.W_OK);
    } catch {
      return `${mount} is not writable`;
    }
  }
  return '';
}
