import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { DistExecClient, type JobView } from '@dist-exec/client';
import { processesMatching, startMasterProcess, startWorkerProcess, until, type RunningProgram } from '@dist-exec/testing';

/** Short timings so failures are noticed in about a second (the defaults are 5s / 15s). */
const FAST = ['--heartbeat-interval', '200ms', '--heartbeat-timeout', '1s', '--retry-backoff-base', '200ms', '--retry-backoff-cap', '1s'];

const started: RunningProgram[] = [];
const markers: string[] = [];
const clients: DistExecClient[] = [];

function uniqueMarker(name: string): string {
  const marker = `${name}-${process.pid}-${Date.now()}-${markers.length}`;
  markers.push(marker);
  return marker;
}

async function cluster(workerIds: string[], masterArgs: string[] = [], workerArgs: string[] = []) {
  const master = await startMasterProcess([...FAST, ...masterArgs]);
  started.push(master);
  const workers: Record<string, RunningProgram> = {};
  await Promise.all(
    workerIds.map(async (id) => {
      const worker = await startWorkerProcess(master.address, ['--id', id, '--kill-grace', '1s', ...workerArgs]);
      started.push(worker);
      workers[id] = worker;
    }),
  );
  const client = new DistExecClient({ address: master.address });
  clients.push(client);
  return { master, workers, client };
}

/** The given processes and all their descendants. */
async function processTree(roots: number[]): Promise<number[]> {
  const table = await new Promise<string>((resolve) => {
    const child = spawn('ps', ['-eo', 'pid=,ppid='], { stdio: ['ignore', 'pipe', 'ignore'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.once('close', () => resolve(Buffer.concat(out).toString()));
  });
  const children = new Map<number, number[]>();
  for (const line of table.split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (!pid || ppid === undefined) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const found = new Set<number>();
  const stack = [...roots];
  while (stack.length) {
    const pid = stack.pop() as number;
    if (found.has(pid)) continue;
    found.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return [...found];
}

async function alive(pids: number[]): Promise<number[]> {
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}

async function stateOf(client: DistExecClient, id: string): Promise<JobView> {
  return client.getJob(id);
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const program of started.splice(0).reverse()) {
    program.process.kill('SIGCONT');
    program.kill('SIGKILL');
    await program.exited;
  }
  // Jobs of a worker killed with -9 outlive it (their process groups are their own).
  for (const marker of markers.splice(0)) {
    for (const pid of await processesMatching(marker)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

describe('failures with real processes', () => {
  it('kill -9 of a worker running a job with retries: the job completes on another worker', async () => {
    const { workers, client } = await cluster(['lost-a', 'lost-b']);
    const marker = uniqueMarker('lost');
    const { job } = await client.submit({ command: `sh -c 'sleep 1; true' ${marker}; echo "done on $DIST_EXEC_NODE_ID"`, maxRetries: 2 });
    const running = await until(async () => {
      const view = await stateOf(client, job.id);
      return view.state === 'RUNNING' && view.attemptHistory[0]?.startedAtMs ? view : null;
    });
    const victim = running.workerId as string;
    const survivor = victim === 'lost-a' ? 'lost-b' : 'lost-a';
    const killedAt = Date.now();
    workers[victim]?.process.kill('SIGKILL');
    const done = await client.waitForJob(job.id);
    const recoveryMs = Date.now() - killedAt;
    console.log(`[measure] kill -9 worker -> job completed on another worker in ${recoveryMs}ms (heartbeat timeout 1s)`);
    expect(done).toMatchObject({ state: 'COMPLETED', workerId: survivor, attempts: 2 });
    expect(done.attemptHistory.map((a) => [a.nodeId, a.reason])).toEqual([
      [victim, 'WORKER_LOST'],
      [survivor, null],
    ]);
    const full = await client.getJob(job.id, { output: true });
    expect(Buffer.from(full.stdout!).toString()).toBe(`done on ${survivor}\n`);
  });

  it('kill -STOP past the heartbeat timeout, then -CONT: the stale attempt is killed and the result comes from one attempt', async () => {
    const { workers, client } = await cluster(['stop-a', 'stop-b']);
    const marker = uniqueMarker('stale');
    // The first attempt would run for minutes; its retry ends at once.
    const command = `echo "start-$DIST_EXEC_ATTEMPT"; if [ "$DIST_EXEC_ATTEMPT" = 1 ]; then sh -c 'sleep 300; true' ${marker}; fi; echo "end-$DIST_EXEC_ATTEMPT"`;
    const { job } = await client.submit({ command, maxRetries: 1 });
    await until(async () => (await client.getJob(job.id, { output: true })).stdout?.length ?? 0);
    expect((await processesMatching(marker)).length).toBeGreaterThan(0);
    const victim = (await stateOf(client, job.id)).workerId as string;
    const survivor = victim === 'stop-a' ? 'stop-b' : 'stop-a';
    const frozen = workers[victim] as RunningProgram;
    frozen.process.kill('SIGSTOP');
    const done = await client.waitForJob(job.id);
    frozen.process.kill('SIGCONT');
    await frozen.waitForLog('killed stale attempt');
    await until(async () => (await processesMatching(marker)).length === 0, { message: 'the stale attempt to be killed' });
    // Whatever the stale attempt says after it wakes up changes nothing.
    await until(async () => (await client.listNodes()).find((n) => n.id === victim)?.state === 'HEALTHY', { message: 'the node to be healthy again' });
    const full = await client.getJob(job.id, { output: true });
    expect(full).toMatchObject({ state: 'COMPLETED', workerId: survivor, attempts: 2, exitCode: 0 });
    expect(full.attemptHistory.map((a) => [a.nodeId, a.reason])).toEqual([
      [victim, 'WORKER_LOST'],
      [survivor, null],
    ]);
    expect(Buffer.from(full.stdout!).toString()).toBe('start-2\nend-2\n');
    const log: Buffer[] = [];
    for await (const event of client.watch(job.id)) if (event.type === 'output') log.push(Buffer.from(event.chunk.data));
    expect(Buffer.concat(log).toString()).toBe('start-1\nstart-2\nend-2\n');
    expect(done.state).toBe('COMPLETED');
  });

  it('SIGTERM to a busy worker: its running jobs finish there, it leaves the node list, no job is lost', async () => {
    const { workers, client } = await cluster(['busy-a', 'busy-b'], [], ['--max-tasks', '3']);
    const jobs = await client.submitMany(Array.from({ length: 6 }, (_, i) => ({ command: `sleep 1; echo job-${i}` })));
    await until(async () => (await Promise.all(jobs.map((j) => stateOf(client, j.id)))).every((j) => j.state === 'RUNNING'));
    const leaving = workers['busy-a'] as RunningProgram;
    leaving.kill('SIGTERM');
    // Work submitted while it drains goes elsewhere.
    const late = await client.submitMany(Array.from({ length: 3 }, (_, i) => ({ command: `echo late-${i}` })));
    expect(await leaving.exited).toEqual({ code: 0, signal: null });
    const done = await Promise.all([...jobs, ...late].map((j) => client.waitForJob(j.id)));
    expect(done.map((j) => j.state)).toEqual(Array(9).fill('COMPLETED'));
    const ranOnLeaving = done.slice(0, 6).filter((j) => j.workerId === 'busy-a');
    expect(ranOnLeaving).toHaveLength(3);
    for (const job of ranOnLeaving) expect(job.attempts).toBe(1);
    expect(done.slice(6).every((j) => j.workerId === 'busy-b')).toBe(true);
    expect((await client.listNodes()).map((n) => n.id)).toEqual(['busy-b']);
  });

  for (const how of ['timeout', 'cancel'] as const) {
    it(`a job that spawns grandchildren leaves no process behind after ${how}`, async () => {
      const { client } = await cluster(['group-a']);
      const marker = uniqueMarker(`group-${how}`);
      const { job } = await client.submit({
        command: `sh -c 'sleep 100 & sleep 100' ${marker}`,
        ...(how === 'timeout' ? { timeoutMs: 1000 } : {}),
      });
      // The shells carry the marker; the two sleeps are found as their descendants.
      const tree = await until(async () => {
        const pids = await processTree(await processesMatching(marker));
        return pids.length >= 3 ? pids : null;
      }, { message: 'the job and its grandchildren to start' });
      if (how === 'cancel') await client.cancel(job.id);
      const done = await client.waitForJob(job.id);
      expect(done).toMatchObject(how === 'timeout' ? { state: 'FAILED', reason: 'TIMEOUT' } : { state: 'CANCELLED', reason: 'CANCELLED' });
      await until(async () => (await alive(tree)).length === 0, { message: 'every process of the job to be gone' });
    });
  }
});
