import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DistExecClient } from '@dist-exec/client';
import {
  freePort,
  processesMatching,
  runCli,
  startProgram,
  tempDir,
  until,
  type RunningProgram,
} from '@dist-exec/testing';

const started: RunningProgram[] = [];
const dataDirs: string[] = [];
afterEach(async () => {
  for (const program of started.splice(0)) {
    program.kill('SIGKILL');
    await program.exited;
  }
  // up's children run in process groups of their own: a failed test kills them by their data dir.
  for (const dir of dataDirs.splice(0)) for (const pid of await processesMatching(dir)) process.kill(pid, 'SIGKILL');
});

/**
 * Two real `dist-exec up` processes, as two `npm start`s in one clone: the
 * second fails at once with one line and leaves the first cluster alone.
 */
describe('dist-exec up is safe', () => {
  it('a second up on the same ports or data dir fails in one line and touches nothing; a crashed worker comes back', async () => {
    const cwd = tempDir();
    // An absolute data dir: its path marks this test's processes (other tests run `up` too).
    const dataDir = join(tempDir('dist-exec-up-'), 'data');
    dataDirs.push(dataDir);
    const [port, httpPort] = [String(await freePort()), String(await freePort())];
    const args = ['up', '--workers', '2', '--port', port, '--http-port', httpPort, '--data-dir', dataDir];
    const first = startProgram('cli', [...args, '--store', 'memory', '--log-level', 'warn'], {}, { cwd });
    started.push(first);
    const upLine = await until(() => first.logs.find((l) => /dist-exec is up/.test(String(l.msg))), {
      timeoutMs: 60_000,
      message: 'the first cluster to come up',
    });
    // Two workers share the machine instead of each offering all of it.
    const cpus = Math.floor((availableParallelism() / 2) * 100) / 100;
    expect(String(upLine.msg)).toContain(`each offering ${cpus} cpus`);
    const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
    const client = new DistExecClient({ address: `127.0.0.1:${port}`, token });
    try {
      const nodes = await client.listNodes();
      expect(nodes.map((n) => [n.id, n.cpus, n.memoryBytes]).sort()).toEqual([
        ['worker-1', cpus, Math.floor(totalmem() / 2)],
        ['worker-2', cpus, Math.floor(totalmem() / 2)],
      ]);
      const { job } = await client.submit({ command: 'sleep 120' });
      const running = await until(async () => {
        const now = await client.getJob(job.id);
        return now.state === 'RUNNING' ? now : null;
      });

      const samePorts = await runCli(args, {}, undefined, { cwd });
      expect(samePorts.code).toBe(1);
      expect(samePorts.stderr).toBe(`dist-exec: port ${port} is in use: is another dist-exec up running? use --port\n`);
      const sameDir = await runCli(
        ['up', '--workers', '2', '--port', '0', '--http-port', '0', '--data-dir', dataDir],
        {},
        undefined,
        { cwd },
      );
      expect(sameDir.code).toBe(1);
      expect(sameDir.stderr).toBe(
        `dist-exec: the data dir ${dataDir} is in use by another dist-exec up (pid ${first.process.pid}): stop it, or use --data-dir\n`,
      );
      // The first cluster did not notice: same job, same attempt, same worker.
      expect(await client.getJob(job.id)).toMatchObject({ state: 'RUNNING', attempts: 1, workerId: running.workerId });

      // The worker without the job dies: up says so and starts it again, under its id.
      const other = running.workerId === 'worker-1' ? 'worker-2' : 'worker-1';
      const [pid] = await processesMatching(join(dataDir, 'workers', other));
      process.kill(pid as number, 'SIGKILL');
      await until(() => first.logs.find((l) => String(l.msg).startsWith(`dist-exec up: ${other} started again (pid `)));
      expect(first.logs.map((l) => String(l.msg))).toContain(
        `dist-exec up: ${other} exited (signal SIGKILL); starting it again in 1s`,
      );
      await until(async () => (await client.listNodes()).every((n) => n.state === 'HEALTHY'), {
        message: 'the restarted worker to be healthy',
      });
      expect((await client.getJob(job.id)).state).toBe('RUNNING');

      await client.cancel(job.id);
      first.kill('SIGINT');
      expect((await first.exited).code).toBe(0);
      expect(await processesMatching(dataDir)).toEqual([]);
    } finally {
      client.close();
    }
  });
});
