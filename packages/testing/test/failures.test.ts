import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { DistExecClient, type JobView } from '@dist-exec/client';
import {
  processesMatching,
  runCli,
  startMasterProcess,
  startWorkerProcess,
  until,
  type RunningProgram,
} from '@dist-exec/testing';

/** Short timings so failures are noticed in about a second (the defaults are 5s / 15s). */
const FAST = [
  '--heartbeat-interval',
  '200ms',
  '--heartbeat-timeout',
  '1s',
  '--retry-backoff-base',
  '200ms',
  '--retry-backoff-cap',
  '1s',
];

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
      const worker = await startWorkerProcess(master, ['--id', id, '--kill-grace', '1s', ...workerArgs]);
      started.push(worker);
      workers[id] = worker;
    }),
  );
  const client = new DistExecClient({ address: master.address, token: master.token });
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
    const { master, workers, client } = await cluster(['lost-a', 'lost-b']);
    const marker = uniqueMarker('lost');
    // The first attempt would run for minutes (it must still run when its worker dies); the retry ends at once.
    const { job } = await client.submit({
      command: `if [ "$DIST_EXEC_ATTEMPT" = 1 ]; then sh -c 'sleep 300; true' ${marker}; fi; echo "done on $DIST_EXEC_NODE_ID"`,
      maxRetries: 2,
    });
    const running = await until(async () => {
      const view = await stateOf(client, job.id);
      return view.state === 'RUNNING' &&
        view.attemptHistory[0]?.startedAtMs &&
        (await processesMatching(marker)).length > 0
        ? view
        : null;
    });
    const victim = running.workerId as string;
    const survivor = victim === 'lost-a' ? 'lost-b' : 'lost-a';
    const killedAt = Date.now();
    workers[victim]?.process.kill('SIGKILL');
    const done = await client.waitForJob(job.id);
    const recoveryMs = Date.now() - killedAt;
    console.log(
      `[measure] kill -9 worker -> job completed on another worker in ${recoveryMs}ms (heartbeat timeout 1s)`,
    );
    expect(done).toMatchObject({ state: 'COMPLETED', workerId: survivor, attempts: 2 });
    expect(done.attemptHistory.map((a) => [a.nodeId, a.reason])).toEqual([
      [victim, 'WORKER_LOST'],
      [survivor, null],
    ]);
    const full = await client.getJob(job.id, { output: true });
    expect(Buffer.from(full.stdout!).toString()).toBe(`done on ${survivor}\n`);
    // Every attempt, with its node, times and reason, in `status --json`.
    const status = await runCli(['status', job.id, '--json'], {
      DIST_EXEC_MASTER: master.address,
      DIST_EXEC_TOKEN_FILE: master.tokenFile,
    });
    expect(status.code).toBe(0);
    const history = (JSON.parse(status.stdout.toString()) as { attemptHistory: Record<string, unknown>[] })
      .attemptHistory;
    const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT/);
    expect(history).toEqual([
      {
        attempt: 1,
        nodeId: victim,
        dispatchedAt: iso,
        startedAt: iso,
        finishedAt: iso,
        succeeded: false,
        reason: 'WORKER_LOST',
        exitCode: null,
        error: expect.any(String),
        peakMemoryBytes: 0,
        cpuTimeMs: 0,
      },
      {
        attempt: 2,
        nodeId: survivor,
        dispatchedAt: iso,
        startedAt: iso,
        finishedAt: iso,
        succeeded: true,
        reason: null,
        exitCode: 0,
        error: null,
        peakMemoryBytes: expect.any(Number),
        cpuTimeMs: expect.any(Number),
      },
    ]);
  });

  it('kill -STOP past the heartbeat timeout, then -CONT: the stale attempt is killed and the result comes from one attempt', async () => {
    const { workers, client } = await cluster(['stop-a', 'stop-b']);
    const marker = uniqueMarker('stale');
    // The first attempt would run for minutes; its retry ends at once.
    const command = `echo "start-$DIST_EXEC_ATTEMPT"; if [ "$DIST_EXEC_ATTEMPT" = 1 ]; then sh -c 'sleep 300; true' ${marker}; fi; echo "end-$DIST_EXEC_ATTEMPT"`;
    const { job } = await client.submit({ command, maxRetries: 1 });
    await until(async () => (await client.getJob(job.id, { output: true })).stdout?.length ?? 0);
    await until(async () => (await processesMatching(marker)).length > 0, { message: 'the first attempt to run' });
    const victim = (await stateOf(client, job.id)).workerId as string;
    const survivor = victim === 'stop-a' ? 'stop-b' : 'stop-a';
    const frozen = workers[victim] as RunningProgram;
    frozen.process.kill('SIGSTOP');
    const done = await client.waitForJob(job.id);
    frozen.process.kill('SIGCONT');
    // Killed by the master's Cancel (sent when it gave the attempt up) or by reconciliation on the next heartbeat.
    await until(async () => (await processesMatching(marker)).length === 0, {
      message: 'the stale attempt to be killed',
    });
    // Whatever the stale attempt says after it wakes up changes nothing.
    await until(async () => (await client.listNodes()).find((n) => n.id === victim)?.state === 'HEALTHY', {
      message: 'the node to be healthy again',
    });
    const full = await client.getJob(job.id, { output: true });
    expect(full).toMatchObject({ state: 'COMPLETED', workerId: survivor, attempts: 2, exitCode: 0 });
    expect(full.attemptHistory.map((a) => [a.nodeId, a.reason])).toEqual([
      [victim, 'WORKER_LOST'],
      [survivor, null],
    ]);
    expect(Buffer.from(full.stdout!).toString()).toBe('start-2\nend-2\n');
    const log: Buffer[] = [];
    for await (const event of client.watch(job.id))
      if (event.type === 'output') log.push(Buffer.from(event.chunk.data));
    expect(Buffer.concat(log).toString()).toBe('start-1\nstart-2\nend-2\n');
    expect(done.state).toBe('COMPLETED');
  });

  it('SIGTERM to a busy worker: its running jobs finish there, it leaves the node list, no job is lost', async () => {
    // A generous heartbeat timeout: a loaded machine must not make the master take busy-a's jobs away first.
    const { workers, client } = await cluster(
      ['busy-a', 'busy-b'],
      ['--heartbeat-timeout', '10s'],
      ['--max-tasks', '3'],
    );
    const jobs = await client.submitMany(Array.from({ length: 6 }, (_, i) => ({ command: `sleep 2; echo job-${i}` })));
    await until(async () =>
      (await Promise.all(jobs.map((j) => stateOf(client, j.id)))).every((j) => j.state === 'RUNNING'),
    );
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
        // Long enough for the pgrep and ps below to see the tree on a loaded machine before the timeout kills it.
        ...(how === 'timeout' ? { timeoutMs: 4000 } : {}),
      });
      // The shells carry the marker; the two sleeps are found as their descendants.
      const tree = await until(
        async () => {
          const pids = await processTree(await processesMatching(marker));
          return pids.length >= 3 ? pids : null;
        },
        { message: 'the job and its grandchildren to start' },
      );
      if (how === 'cancel') await client.cancel(job.id);
      const done = await client.waitForJob(job.id);
      expect(done).toMatchObject(
        how === 'timeout' ? { state: 'FAILED', reason: 'TIMEOUT' } : { state: 'CANCELLED', reason: 'CANCELLED' },
      );
      await until(async () => (await alive(tree)).length === 0, { message: 'every process of the job to be gone' });
    });
  }

  it('a worker that refuses connections: its attempts are retried elsewhere at once, free, and it is declared down without waiting for the heartbeat timeout', async () => {
    // A heartbeat timeout far beyond the test's deadlines: only the fast path can notice.
    const { workers, client } = await cluster(
      ['refuse-a', 'refuse-b'],
      ['--heartbeat-timeout', '5m', '--node-lost-timeout', '10m'],
    );
    const victim = workers['refuse-a'] as RunningProgram;
    victim.process.kill('SIGKILL');
    await victim.exited;
    // Round-robin sends two of these to the dead worker before it knows.
    const jobs = await client.submitMany(
      Array.from({ length: 4 }, () => ({ command: 'echo "ran on $DIST_EXEC_NODE_ID"' })),
    );
    const done = await Promise.all(jobs.map((j) => client.waitForJob(j.id)));
    // No retries were allowed: an attempt that never reached a worker costs none.
    expect(done.map((j) => [j.state, j.workerId])).toEqual(Array(4).fill(['COMPLETED', 'refuse-b']));
    const refused = done.flatMap((j) => j.attemptHistory).filter((a) => a.nodeId === 'refuse-a');
    expect(refused.length).toBeGreaterThan(0);
    for (const attempt of refused)
      expect(attempt).toMatchObject({
        reason: 'WORKER_LOST',
        error: expect.stringMatching(/could not dispatch to node refuse-a/),
      });
    await until(async () => (await client.listNodes()).find((n) => n.id === 'refuse-a')?.state === 'UNHEALTHY', {
      message: 'the dead worker to be declared down',
    });
  });

  it('a worker that does not answer Execute: the attempt fails after the dispatch timeout and is retried on another node', async () => {
    const { workers, client } = await cluster(
      ['mute-a', 'mute-b'],
      ['--dispatch-timeout', '500ms', '--heartbeat-timeout', '5m', '--node-lost-timeout', '10m'],
    );
    const mute = workers['mute-a'] as RunningProgram;
    mute.process.kill('SIGSTOP');
    const jobs = await client.submitMany(
      Array.from({ length: 2 }, () => ({ command: 'echo "ran on $DIST_EXEC_NODE_ID"', maxRetries: 1 })),
    );
    const done = await Promise.all(jobs.map((j) => client.waitForJob(j.id)));
    expect(done.map((j) => [j.state, j.workerId])).toEqual(Array(2).fill(['COMPLETED', 'mute-b']));
    const timedOut = done.flatMap((j) => j.attemptHistory).filter((a) => a.nodeId === 'mute-a');
    expect(timedOut.length).toBeGreaterThan(0);
    for (const attempt of timedOut)
      expect(attempt).toMatchObject({
        reason: 'WORKER_LOST',
        error: 'node mute-a did not answer Execute within 500ms',
      });
    // Suspect meanwhile, never declared down (a stopped process still accepts connections) ...
    const held = (await client.listNodes()).find((n) => n.id === 'mute-a');
    expect(held).toMatchObject({ state: 'HEALTHY', unavailableReason: expect.stringMatching(/^suspect: /) });
    // ... and back in service once a probe reaches it.
    mute.process.kill('SIGCONT');
    await until(async () => (await client.listNodes()).find((n) => n.id === 'mute-a')?.unavailableReason === '', {
      message: 'the probe to clear the node',
    });
    const after = await client.submitMany(Array.from({ length: 4 }, () => ({ command: 'true' })));
    const finished = await Promise.all(after.map((j) => client.waitForJob(j.id)));
    expect(finished.some((j) => j.workerId === 'mute-a')).toBe(true);
  });

  it('--fence-after: a worker cut off from the master kills its tasks; one without keeps running them', async () => {
    // The master's own timeout is generous: the fenced worker gives up by its own clock, and a loaded machine
    // must not make the master reschedule the trusting worker's job after its pause.
    const { master, client } = await cluster([], ['--heartbeat-timeout', '10s']);
    const fenced = await startWorkerProcess(master, [
      '--id',
      'fenced',
      '--labels',
      'role=fenced',
      '--fence-after',
      '1s',
    ]);
    started.push(fenced);
    const trusting = await startWorkerProcess(master, ['--id', 'trusting', '--labels', 'role=trusting']);
    started.push(trusting);
    const fencedMarker = uniqueMarker('fenced');
    const trustingMarker = uniqueMarker('trusting');
    const { job: fencedJob } = await client.submit({
      command: `if [ "$DIST_EXEC_ATTEMPT" = 1 ]; then sh -c 'sleep 300; true' ${fencedMarker}; fi; echo "attempt $DIST_EXEC_ATTEMPT"`,
      constraints: { role: 'fenced' },
      maxRetries: 1,
    });
    const { job: trustingJob } = await client.submit({
      command: `sh -c 'sleep 300; true' ${trustingMarker}`,
      constraints: { role: 'trusting' },
    });
    await until(
      async () =>
        (await processesMatching(fencedMarker)).length > 0 && (await processesMatching(trustingMarker)).length > 0,
      {
        message: 'both jobs to run',
      },
    );
    master.process.kill('SIGSTOP');
    try {
      await until(async () => (await processesMatching(fencedMarker)).length === 0, {
        message: 'the fenced worker to kill its task',
      });
      // Both lost the master at the same moment; the other one still runs its task.
      expect((await processesMatching(trustingMarker)).length).toBeGreaterThan(0);
    } finally {
      master.process.kill('SIGCONT');
    }
    const done = await client.waitForJob(fencedJob.id);
    expect(done).toMatchObject({ state: 'COMPLETED', attempts: 2, workerId: 'fenced' });
    expect(done.attemptHistory[0]).toMatchObject({
      reason: 'WORKER_LOST',
      error: expect.stringMatching(/no heartbeat reached the master for \d+ms \(--fence-after\)/),
    });
    // The master's own stall was not held against the trusting worker: its job is still on its first attempt.
    expect(await stateOf(client, trustingJob.id)).toMatchObject({ state: 'RUNNING', attempts: 1 });
    expect(await processesMatching(trustingMarker)).not.toHaveLength(0);
    await client.cancel(trustingJob.id);
    await until(async () => (await processesMatching(trustingMarker)).length === 0, {
      message: 'the cancelled task to be gone',
    });
  });

  it('heartbeats keep flowing while a job floods the master with output', async () => {
    const { master, client } = await cluster(['flood-a'], ['--heartbeat-timeout', '3s', '--output-limit', '256Mi']);
    const { job } = await client.submit({ command: 'head -c 20000000 /dev/zero | od -v' });
    let worstGapMs = 0;
    for (;;) {
      const [view, nodes] = await Promise.all([stateOf(client, job.id), client.listNodes()]);
      const node = nodes.find((n) => n.id === 'flood-a');
      if (node) worstGapMs = Math.max(worstGapMs, Date.now() - node.lastHeartbeatMs);
      if (view.state !== 'PENDING' && view.state !== 'RUNNING') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const done = await client.getJob(job.id);
    console.log(
      `[measure] ${done.outputLength} bytes of output; longest heartbeat age seen by the master: ${worstGapMs}ms (interval 200ms)`,
    );
    expect(done).toMatchObject({ state: 'COMPLETED', attempts: 1, stdoutDroppedBytes: 0 });
    expect(master.logs.filter((l) => l.msg === 'node health changed')).toEqual([]);
  });

  it('drain --deadline hands back what still runs (killed there, requeued without a retry); undrain returns the node', async () => {
    // A generous heartbeat timeout: only the drain deadline may take the attempt away, never a loaded machine.
    const { master, client } = await cluster(
      ['drain-a', 'drain-b'],
      ['--heartbeat-timeout', '10s'],
      ['--max-tasks', '1'],
    );
    const marker = uniqueMarker('drained');
    const { job } = await client.submit({
      command: `if [ "$DIST_EXEC_ATTEMPT" = 1 ]; then sh -c 'sleep 300; true' ${marker}; fi; echo "attempt $DIST_EXEC_ATTEMPT on $DIST_EXEC_NODE_ID"`,
    });
    await until(async () => (await processesMatching(marker)).length > 0, { message: 'the job to run' });
    const node = (await stateOf(client, job.id)).workerId as string;
    const other = node === 'drain-a' ? 'drain-b' : 'drain-a';
    const drained = await runCli(['drain', node, '--deadline', '1s', '--json'], {
      DIST_EXEC_MASTER: master.address,
      DIST_EXEC_TOKEN_FILE: master.tokenFile,
    });
    expect(drained.code).toBe(0);
    expect(JSON.parse(drained.stdout.toString())).toMatchObject({ id: node, state: 'DRAINING', draining: true });
    const done = await client.waitForJob(job.id);
    // No retries were allowed: a hand-back costs none.
    expect(done, JSON.stringify(done.attemptHistory)).toMatchObject({
      state: 'COMPLETED',
      attempts: 2,
      workerId: other,
    });
    expect(done.attemptHistory[0]).toMatchObject({
      nodeId: node,
      reason: 'WORKER_LOST',
      error: `drain deadline of node ${node} passed`,
    });
    await until(async () => (await processesMatching(marker)).length === 0, {
      message: 'the handed-back attempt to be killed',
    });
    const undrained = await runCli(['undrain', node], {
      DIST_EXEC_MASTER: master.address,
      DIST_EXEC_TOKEN_FILE: master.tokenFile,
    });
    expect(undrained).toMatchObject({ code: 0, stderr: '' });
    expect(undrained.stdout.toString()).toBe(`${node} is back in service\n`);
    // Both nodes take work again: one slot each, two jobs at once (once the killed attempt's slot is free).
    await until(async () => (await client.listNodes()).find((n) => n.id === node)?.activeTasks === 0, {
      message: 'the slot to be free',
    });
    const both = await client.submitMany([{ command: 'sleep 0.5' }, { command: 'sleep 0.5' }]);
    const ran = await Promise.all(both.map((j) => client.waitForJob(j.id)));
    expect(ran.map((j) => j.workerId).sort()).toEqual(['drain-a', 'drain-b']);
  });
});
