import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileJobSpec } from '@dist-exec/core';
import {
  cgroupLayout,
  CgroupJobs,
  jobBaseEnvironment,
  JobIsolation,
  Leftovers,
  workerCgroupName,
} from '@dist-exec/worker';

const MiB = 1024 * 1024;

/** A mountinfo line as the kernel writes it. */
const mount = (id: number, root: string, point: string, type: string, options: string): string =>
  `${id} 1 0:${id} ${root} ${point} rw,relatime shared:${id} - ${type} ${type} rw,${options}`;

describe('cgroupLayout', () => {
  it('reads the v1/hybrid layout: a hierarchy per controller, the own dir in each, an unused cgroup2 ignored', () => {
    const mountinfo = [
      mount(31, '/', '/sys/fs/cgroup/cpu', 'cgroup', 'cpu'),
      mount(32, '/', '/sys/fs/cgroup/cpuacct', 'cgroup', 'cpuacct'),
      mount(34, '/', '/sys/fs/cgroup/memory', 'cgroup', 'memory'),
      mount(38, '/', '/sys/fs/cgroup/pids', 'cgroup', 'pids'),
      mount(40, '/', '/sys/fs/cgroup/unified', 'cgroup2', ''),
    ].join('\n');
    const own = ['8:pids:/', '4:memory:/sessions/42', '2:cpuacct:/', '1:cpu:/', '0::/'].join('\n');
    expect(cgroupLayout(mountinfo, own, [])).toEqual({
      version: 1,
      hierarchies: {
        memory: { mount: '/sys/fs/cgroup/memory', own: '/sys/fs/cgroup/memory/sessions/42' },
        pids: { mount: '/sys/fs/cgroup/pids', own: '/sys/fs/cgroup/pids' },
        cpu: { mount: '/sys/fs/cgroup/cpu', own: '/sys/fs/cgroup/cpu' },
        cpuacct: { mount: '/sys/fs/cgroup/cpuacct', own: '/sys/fs/cgroup/cpuacct' },
      },
    });
  });

  it('reads cpu and cpuacct mounted together, and a container view whose mount root is its own cgroup', () => {
    const mountinfo = [
      mount(1, '/docker/abc', '/sys/fs/cgroup/cpu,cpuacct', 'cgroup', 'cpu,cpuacct'),
      mount(2, '/docker/abc', '/sys/fs/cgroup/memory', 'cgroup', 'memory'),
      mount(3, '/docker/abc', '/sys/fs/cgroup/pids', 'cgroup', 'pids'),
    ].join('\n');
    const own = ['3:pids:/docker/abc', '2:memory:/docker/abc/sub', '1:cpu,cpuacct:/docker/abc'].join('\n');
    const layout = cgroupLayout(mountinfo, own, []);
    expect(layout).toMatchObject({
      version: 1,
      hierarchies: {
        memory: { own: '/sys/fs/cgroup/memory/sub' },
        pids: { own: '/sys/fs/cgroup/pids' },
        cpu: { mount: '/sys/fs/cgroup/cpu,cpuacct' },
        cpuacct: { mount: '/sys/fs/cgroup/cpu,cpuacct' },
      },
    });
  });

  it('prefers cgroup v2 when memory and pids are enabled there, and knows when neither layout will do', () => {
    const mountinfo = mount(30, '/', '/sys/fs/cgroup', 'cgroup2', 'nsdelegate');
    expect(cgroupLayout(mountinfo, '0::/system.slice/w.service', ['cpu', 'memory', 'pids'])).toEqual({
      version: 2,
      mount: '/sys/fs/cgroup',
      own: '/sys/fs/cgroup/system.slice/w.service',
    });
    expect(cgroupLayout(mountinfo, '0::/', ['cpu'])).toBeNull();
    expect(cgroupLayout(mount(1, '/', '/sys/fs/cgroup/memory', 'cgroup', 'memory'), '1:memory:/', [])).toBeNull();
  });
});

describe('CgroupJobs on a cgroup v2 tree', () => {
  // A directory laid out as the kernel would show it: enough to see what is created, written and read.
  const root = mkdtempSync(join(tmpdir(), 'fake-cgroup2-'));
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  const dir = join(root, 'dist-exec', 'w1');
  mkdirSync(dir, { recursive: true });
  for (const file of ['pids.max', 'memory.peak', 'memory.swap.max']) writeFileSync(join(dir, file), '');
  writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n');
  const jobs = new CgroupJobs({
    layout: { version: 2, mount: root, own: join(root, 'user.slice') },
    workerId: 'w1',
    parent: '/dist-exec',
    maxJobPids: 100,
  });

  it('enables memory, pids and cpu from the root down to the worker dir', () => {
    expect(jobs.roots).toEqual([dir]);
    for (const at of [root, join(root, 'dist-exec'), dir])
      expect(readFileSync(join(at, 'cgroup.subtree_control'), 'utf8')).toBe('+memory +pids +cpu');
    expect(jobs.enforces).toEqual(
      expect.arrayContaining(['memory limit (memory.max, no swap)', 'cpu quota', 'pids limit (100)']),
    );
  });

  it('plans a dir per job with its limits and the files that say what it used, removed at the end; and reads them', () => {
    const job = jobs.plan('job-a-1', { memoryBytes: 128 * MiB, cpu: 0.5 });
    const at = join(dir, 'job-a-1');
    expect(job.plan).toEqual({
      dirs: [at],
      writes: [
        [join(at, 'memory.max'), String(128 * MiB)],
        [join(at, 'memory.swap.max'), '0'],
        [join(at, 'pids.max'), '100'],
        [join(at, 'cpu.max'), '50000 100000'],
      ],
      reads: [join(at, 'memory.peak'), join(at, 'memory.events'), join(at, 'cpu.stat')],
      remove: true,
    });
    const events = 'low 0\nhigh 4\nmax 9\noom 2\noom_kill 1\noom_group_kill 0\n';
    const cpu = 'usage_usec 52345\nuser_usec 50000\nsystem_usec 2345\n';
    expect(jobs.usage(job, [String(128 * MiB), events, cpu])).toEqual({
      peakMemoryBytes: 128 * MiB,
      cpuTimeMs: 52,
      oomKills: 1,
    });
    // No memory asked: no memory.max, still counted.
    expect(jobs.plan('job-b-1', { memoryBytes: 0, cpu: 0 }).plan.writes).toEqual([
      [join(dir, 'job-b-1', 'pids.max'), '100'],
    ]);
  });
});

describe('CgroupJobs on cgroup v1 hierarchies', () => {
  const root = mkdtempSync(join(tmpdir(), 'fake-cgroup1-'));
  const hierarchy = (name: string): { mount: string; own: string } => ({
    mount: join(root, name),
    own: join(root, name),
  });
  const memory = join(root, 'memory', 'dist-exec', 'w2');
  const pids = join(root, 'pids', 'dist-exec', 'w2');
  const cpu = join(root, 'cpu,cpuacct', 'dist-exec', 'w2');
  for (const at of [memory, pids, cpu]) mkdirSync(at, { recursive: true });
  writeFileSync(join(pids, 'pids.max'), 'max\n');
  writeFileSync(join(memory, 'memory.memsw.limit_in_bytes'), '');
  writeFileSync(join(memory, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n');
  const jobs = new CgroupJobs({
    layout: {
      version: 1,
      hierarchies: {
        memory: hierarchy('memory'),
        pids: hierarchy('pids'),
        cpu: hierarchy('cpu,cpuacct'),
        cpuacct: hierarchy('cpu,cpuacct'),
      },
    },
    workerId: 'w2',
    parent: '/dist-exec',
    maxJobPids: 4096,
  });
  const oom = (kills: number): string => `oom_kill_disable 0\nunder_oom 0\noom_kill ${kills}\n`;

  it('runs a job in a slot of the memory and pids hierarchies (cpu only when asked), listed and killed through pids', () => {
    const first = jobs.plan('j-1', { memoryBytes: 64 * MiB, cpu: 0 });
    const [m, p] = [join(memory, 'slot.1'), join(pids, 'slot.1')];
    expect(first.plan).toEqual({
      dirs: [p, m],
      writes: [
        [join(m, 'memory.limit_in_bytes'), String(64 * MiB)],
        [join(m, 'memory.memsw.limit_in_bytes'), String(64 * MiB)],
        [join(p, 'pids.max'), '4096'],
      ],
      reads: [join(m, 'memory.max_usage_in_bytes'), join(m, 'memory.oom_control'), join(m, 'memory.usage_in_bytes')],
      remove: false,
    });
    const ended = [String(64 * MiB), oom(2), '4096'];
    expect(jobs.usage(first, ended)).toEqual({ peakMemoryBytes: 64 * MiB, cpuTimeMs: null, oomKills: 2 });
    jobs.release(first, ended, true);

    // The slot again: counters reset, only what changed written (memsw raised before the memory limit), OOM kills counted from 2.
    const second = jobs.plan('j-2', { memoryBytes: 256 * MiB, cpu: 2 });
    const c = join(cpu, 'slot.1');
    expect(second.plan.dirs).toEqual([p, m, c]);
    expect(second.plan.writes).toEqual([
      [join(m, 'memory.max_usage_in_bytes'), '0'],
      [join(m, 'memory.memsw.limit_in_bytes'), String(256 * MiB)],
      [join(m, 'memory.limit_in_bytes'), String(256 * MiB)],
      [join(c, 'cpu.cfs_period_us'), '100000'],
      [join(c, 'cpu.cfs_quota_us'), '200000'],
    ]);
    expect(second.plan.reads).toContain(join(c, 'cpuacct.usage'));
    expect(jobs.usage(second, ['1', oom(2), '0', '1500000000'])).toEqual({
      peakMemoryBytes: 1,
      cpuTimeMs: 1500,
      oomKills: 0,
    });
    // Still charged with 100 MiB (files in a tmpfs): not used again.
    jobs.release(second, ['1', oom(2), String(100 * MiB), '0'], true);
    expect(jobs.plan('j-3', { memoryBytes: 0, cpu: 0 }).plan.dirs).toEqual([
      join(pids, 'slot.2'),
      join(memory, 'slot.2'),
    ]);
  });
});

describe('the job environment', () => {
  it("drops the worker's dist-exec settings and secrets; clean keeps PATH, HOME and LANG", () => {
    const worker = {
      PATH: '/usr/bin',
      HOME: '/root',
      LANG: 'C',
      DIST_EXEC_TOKEN: 't',
      DIST_EXEC_MASTER: 'm:1',
      SSLKEYLOGFILE: '/tmp/keys',
      OTHER: 'x',
    };
    expect(jobBaseEnvironment(worker)).toEqual({ PATH: '/usr/bin', HOME: '/root', LANG: 'C', OTHER: 'x' });
    expect(jobBaseEnvironment(worker, { clean: true })).toEqual({ PATH: '/usr/bin', HOME: '/root', LANG: 'C' });
    expect(jobBaseEnvironment({}, { clean: true })).toEqual({ PATH: '/usr/local/bin:/usr/bin:/bin' });
  });
});

describe('JobIsolation', () => {
  it('refuses a user it does not allow, naming the field and what it allows', () => {
    const isolation = new JobIsolation({ spawnPath: 'native', searchPath: '/usr/bin' });
    expect(() => isolation.check({ user: 'alice' })).toThrow(
      'spec.user: this worker does not run jobs as "alice" (it has no --allowed-users)',
    );
    expect(() => isolation.check({ user: '' })).not.toThrow();
    expect(() => new JobIsolation({ spawnPath: 'native', searchPath: '', cgroupParent: 'rel' })).toThrow(
      /--cgroup-parent: "rel" must start with \//,
    );
    expect(() => new JobIsolation({ spawnPath: 'native', searchPath: '', maxJobPids: 0 })).toThrow(/--max-job-pids/);
  });

  it("names a worker's cgroup dir after its id and its state dir: the same again on a restart, another beside a twin", () => {
    const name = workerCgroupName('w1', '/var/lib/dist-exec/w1');
    expect(name).toMatch(/^w1\.[0-9a-f]{8}$/);
    expect(workerCgroupName('w1', '/var/lib/dist-exec/w1/')).toBe(name);
    expect(workerCgroupName('w1', join(process.cwd(), 'state'))).toBe(workerCgroupName('w1', 'state'));
    expect(workerCgroupName('w1', '/tmp/another-state')).not.toBe(name);
  });

  it.skipIf(process.getuid?.() !== 0)('says when a --run-as user does not exist', () => {
    expect(() => new JobIsolation({ spawnPath: 'native', searchPath: '', runAs: 'no-such-user-4242' })).toThrow(
      '--run-as: no user "no-such-user-4242" on this machine',
    );
  });

  it('limits a job by rlimits where there are no cgroups: natively, or through prlimit', () => {
    const spec = { ...compileJobSpec({ command: 'x', memoryBytes: 64 * MiB }), env: { DIST_EXEC_JOB_ID: 'j' } };
    const native = new JobIsolation({ spawnPath: 'native', searchPath: '', mode: 'rlimit' });
    const perl = new JobIsolation({ spawnPath: 'perl', searchPath: '/usr/bin:/bin', mode: 'rlimit' });
    return Promise.all(
      [native, perl].map((isolation) =>
        isolation.start({ nodeId: 'n', stateDir: mkdtempSync(join(tmpdir(), 'iso-state-')), logger: silent }),
      ),
    ).then(() => {
      expect(native.plan({ jobId: 'j', attempt: 1 }, spec)).toMatchObject({
        limits: [{ resource: 9, soft: 64 * MiB, hard: 64 * MiB }],
        argvPrefix: [],
        cgroup: null,
        marker: 'DIST_EXEC_JOB_ID=j',
      });
      expect(perl.plan({ jobId: 'j', attempt: 1 }, spec).argvPrefix).toEqual([
        expect.stringMatching(/\/prlimit$/),
        `--as=${64 * MiB}`,
        '--',
      ]);
    });
  });
});

describe('Leftovers', () => {
  it('kills the process group a previous life journalled as running, and not a process that only reuses its pid', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'leftovers-'));
    const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const pid = child.pid as number;
    const previous = new Leftovers(stateDir);
    previous.sweep('n1');
    previous.started('job-a-1', pid, Date.now());
    // Journalled long before this process started: its pid was reused since.
    previous.started('job-b-1', process.pid, 1000);
    previous.started('job-c-1', 999_999, Date.now());
    previous.ended('job-c-1');
    previous.close();
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const found = new Leftovers(stateDir).sweep('n1');
    expect(found).toEqual([
      { jobId: 'job-a', attempt: 1 },
      { jobId: 'job-b', attempt: 1 },
    ]);
    expect(await exited).toBe('SIGKILL');
    // A fresh journal: nothing is found twice.
    expect(new Leftovers(stateDir).sweep('n1')).toEqual([]);
  });
});

const silent = {
  child: () => silent,
  info: () => {},
  warn: () => {},
} as unknown as Parameters<JobIsolation['start']>[0]['logger'];
