import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DistExecClient } from '@dist-exec/client';
import { freePort, startProgram, until, type RunningProgram } from '@dist-exec/testing';
import { percentile, round, type Figure, type Scenario } from '../scenario.js';

const KILLS = 20;
const HAND_OVERS = 10;
const TTL_MS = 2000;
const LEASE = ['--lease-ttl', `${TTL_MS}ms`, '--lease-renew', '300ms'];
const LONG = { timeoutMs: 120_000, intervalMs: 10 };

interface Member {
  port: number;
  program: RunningProgram;
}

/** The highest epoch a master said it took the lease under (0: never led). */
function epochOf(member: Member): number {
  return Math.max(
    0,
    ...member.program.logs.filter((e) => e.msg === 'took the lease; leading').map((e) => Number(e.epoch)),
  );
}

function alive(member: Member): boolean {
  return member.program.process.exitCode === null && member.program.process.signalCode === null;
}

/** The live master that took the lease last. */
function leader(members: readonly Member[]): Member | undefined {
  return members.filter(alive).sort((a, b) => epochOf(b) - epochOf(a))[0];
}

/**
 * Three masters on one PostgreSQL database (leases of 2 s), one worker given
 * the list. `kill -9` the leader 20 times, each time restarting it as a
 * follower: from the kill to a job submitted through the survivors having
 * completed, and to a new leader (a higher epoch); every acknowledged job
 * must complete. Then 10 clean hand-overs (SIGTERM: the leader releases its
 * lease): from the signal to a new leader.
 */
export const failoverMasters: Scenario = {
  name: 'failover-masters',
  description: 'three masters on PostgreSQL: failover after kill -9 of the leader, and clean hand-over, p50/p95',
  postgres: true,
  async run(context) {
    if (!context.stores.includes('postgres')) {
      context.log('failover-masters: needs PostgreSQL (--store postgres); skipped');
      return [];
    }
    const storeArgs = await context.storeArgs('postgres');
    const dataDir = mkdtempSync(join(tmpdir(), 'dist-exec-bench-ha-'));
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    const list = ports.map((port) => `127.0.0.1:${port}`).join(',');
    const start = (port: number): Member => ({
      port,
      program: startProgram(
        'master',
        [
          ...storeArgs,
          ...LEASE,
          ...['--host', '127.0.0.1', '--port', String(port), '--http-port', '0', '--data-dir', dataDir],
          ...['--worker-token-file', join(dataDir, 'worker.token'), '--auth', 'none', '--heartbeat-interval', '300ms'],
          ...['--heartbeat-timeout', '30s', '--node-lost-timeout', '60s', '--log-level', 'info'],
        ],
        context.childEnv,
      ),
    });
    const members = ports.map(start);
    let worker: RunningProgram | null = null;
    const client = new DistExecClient({ address: list, retry: { retries: 10, capMs: 500 } });
    try {
      await until(() => leader(members) && epochOf(leader(members) as Member) > 0, LONG);
      worker = startProgram(
        'worker',
        ['--master', list, '--host', '127.0.0.1', '--port', '0', '--auth', 'none', '--max-tasks', '8'],
        context.childEnv,
      );
      await worker.waitForLog('registered with the master', LONG.timeoutMs);
      const acknowledged: string[] = [];
      const submit = async (): Promise<string> => {
        const id = await until(
          () =>
            client.submit({ command: 'true' }).then(
              (r) => r.job.id,
              () => null,
            ),
          LONG,
        );
        acknowledged.push(id);
        return id;
      };
      await client.waitForJob(await submit());

      const serviceMs: number[] = [];
      const leaderMs: number[] = [];
      for (let round = 0; round < KILLS; round += 1) {
        const old = leader(members) as Member;
        const oldEpoch = epochOf(old);
        const killedAt = performance.now();
        old.program.kill('SIGKILL');
        const took = until(() => members.some((m) => alive(m) && epochOf(m) > oldEpoch), LONG).then(() =>
          leaderMs.push(performance.now() - killedAt),
        );
        await client.waitForJob(await submit(), { signal: AbortSignal.timeout(LONG.timeoutMs) });
        serviceMs.push(performance.now() - killedAt);
        await took;
        await old.program.exited;
        // Back as a follower before the next round: the next failover has two masters to go to.
        const back = start(old.port);
        members[members.indexOf(old)] = back;
        await back.program.waitForLog('master following', LONG.timeoutMs);
        context.log(
          `failover-masters: kill ${round + 1}/${KILLS}: ${Math.round(leaderMs.at(-1) ?? 0)}ms to a new leader`,
        );
      }

      const handOverMs: number[] = [];
      for (let round = 0; round < HAND_OVERS; round += 1) {
        const old = leader(members) as Member;
        const oldEpoch = epochOf(old);
        const stoppedAt = performance.now();
        old.program.kill('SIGTERM');
        await until(() => members.some((m) => m !== old && alive(m) && epochOf(m) > oldEpoch), LONG);
        handOverMs.push(performance.now() - stoppedAt);
        await old.program.exited;
        // Back as a follower before the next round: a hand-over goes to a master that is following, not
        // to one still starting (which measured node's start-up, not the hand-over).
        const back = start(old.port);
        members[members.indexOf(old)] = back;
        await back.program.waitForLog('master following', LONG.timeoutMs);
      }

      // Nothing lost: every acknowledged job completed.
      for (const id of acknowledged) {
        const done = await client.waitForJob(id, { signal: AbortSignal.timeout(LONG.timeoutMs) });
        if (done.state !== 'COMPLETED') throw new Error(`job ${id} ended ${done.state}`);
      }
      const sorted = (values: number[]): number[] => [...values].sort((a, b) => a - b);
      const params = { kills: KILLS, leaseTtlMs: TTL_MS, jobs: acknowledged.length, lost: 0 };
      const figures: Figure[] = [
        {
          name: 'failover-masters kill -9 → new leader p50',
          value: round(percentile(sorted(leaderMs), 50)),
          unit: 'ms',
          target: `< TTL + 2 s (${TTL_MS + 2000} ms)`,
          params,
        },
        {
          name: 'failover-masters kill -9 → new leader p95',
          value: round(percentile(sorted(leaderMs), 95)),
          unit: 'ms',
          params,
        },
        {
          name: 'failover-masters kill -9 → a job submitted after it completed p50',
          value: round(percentile(sorted(serviceMs), 50)),
          unit: 'ms',
          params,
        },
        {
          name: 'failover-masters clean hand-over p50',
          value: round(percentile(sorted(handOverMs), 50)),
          unit: 'ms',
          target: '< 1000 ms',
          params: { handOvers: HAND_OVERS },
        },
        {
          name: 'failover-masters clean hand-over p95',
          value: round(percentile(sorted(handOverMs), 95)),
          unit: 'ms',
          params: { handOvers: HAND_OVERS },
        },
      ];
      return figures;
    } finally {
      client.close();
      for (const program of [...members.map((m) => m.program), ...(worker ? [worker] : [])]) {
        program.kill('SIGKILL');
        await program.exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
