import { performance } from 'node:perf_hooks';
import { DistExecClient } from '@dist-exec/client';
import {
  processesMatching,
  startMasterProcess,
  startWorkerProcess,
  until,
  type RunningProgram,
} from '@dist-exec/testing';
import { percentile, round, type Figure, type Scenario } from '../scenario.js';

const ROUNDS = 5;
/** The timings of the failure tests; retry backoff stays at its default (1s base, half jitter). */
const FAST_FLAGS = ['--heartbeat-interval', '200ms', '--heartbeat-timeout', '1s'];

type Failure = 'kill-9' | 'sigstop';

/**
 * One round: two fresh workers, a job with a retry running on one of them,
 * then that worker is killed (`kill -9`) or hung (`kill -STOP`). Measures
 * from the signal to the job completing on the other worker: detection,
 * backoff and the second dispatch.
 */
async function failOnce(
  master: { address: string; workerTokenFile: string },
  client: DistExecClient,
  failure: Failure,
  label: string,
): Promise<number> {
  const marker = `bench-failover-${process.pid}-${label}`;
  const ids = [`${label}-a`, `${label}-b`];
  const workers = await Promise.all(ids.map((id) => startWorkerProcess(master, ['--id', id])));
  try {
    const { job } = await client.submit({
      command: `if [ "$DIST_EXEC_ATTEMPT" = 1 ]; then sh -c 'sleep 60; true' ${marker}; fi`,
      maxRetries: 1,
    });
    const running = await until(async () => {
      const view = await client.getJob(job.id);
      return view.attemptHistory[0]?.startedAtMs ? view : null;
    });
    const victim = workers[ids.indexOf(running.workerId as string)] as RunningProgram;
    const start = performance.now();
    victim.process.kill(failure === 'kill-9' ? 'SIGKILL' : 'SIGSTOP');
    const done = await client.waitForJob(job.id);
    const elapsed = performance.now() - start;
    if (done.state !== 'COMPLETED' || done.attempts !== 2)
      throw new Error(`job ended ${done.state} after ${done.attempts} attempts`);
    return elapsed;
  } finally {
    for (const worker of workers) {
      worker.process.kill('SIGCONT');
      worker.kill('SIGKILL');
      await worker.exited;
    }
    for (const pid of await processesMatching(marker)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
}

interface Variant {
  failure: Failure;
  /** Figure name. */
  name: string;
  masterFlags: string[];
  heartbeatTimeoutMs: number;
  params: Record<string, string | number>;
}

const VARIANTS: Variant[] = [
  {
    failure: 'kill-9',
    name: 'kill-9',
    masterFlags: FAST_FLAGS,
    heartbeatTimeoutMs: 1000,
    params: { heartbeat: '200ms', heartbeatTimeout: '1s' },
  },
  {
    failure: 'sigstop',
    name: 'sigstop',
    masterFlags: FAST_FLAGS,
    heartbeatTimeoutMs: 1000,
    params: { heartbeat: '200ms', heartbeatTimeout: '1s' },
  },
  // A dead worker is noticed by its refused connection, not by the heartbeat timeout.
  {
    failure: 'kill-9',
    name: 'kill-9-default-timings',
    masterFlags: [],
    heartbeatTimeoutMs: 15_000,
    params: { heartbeat: '5s', heartbeatTimeout: '15s' },
  },
];

export const failover: Scenario = {
  name: 'failover',
  description: `time from kill -9 / kill -STOP of a busy worker to its job completing elsewhere (${ROUNDS} rounds each)`,
  async run(context): Promise<Figure[]> {
    const figures: Figure[] = [];
    for (const variant of VARIANTS) {
      const master = await startMasterProcess(variant.masterFlags);
      const client = new DistExecClient({ address: master.address, token: master.token });
      try {
        const times: number[] = [];
        for (let i = 0; i < ROUNDS; i += 1)
          times.push(await failOnce(master, client, variant.failure, `${variant.name}-${i}`));
        times.sort((a, b) => a - b);
        context.log(`${variant.name}: ${times.map((t) => Math.round(t)).join(', ')} ms`);
        const params = { rounds: ROUNDS, ...variant.params, backoffBase: '1s' };
        const target = `< heartbeat timeout + 2s (${variant.heartbeatTimeoutMs + 2000} ms)`;
        figures.push(
          { name: `failover.${variant.name}.p50`, value: round(percentile(times, 50), 0), unit: 'ms', target, params },
          {
            name: `failover.${variant.name}.max`,
            value: round(times[times.length - 1] as number, 0),
            unit: 'ms',
            target,
            params,
          },
        );
      } finally {
        client.close();
        master.kill();
        await master.exited;
      }
    }
    return figures;
  },
};
