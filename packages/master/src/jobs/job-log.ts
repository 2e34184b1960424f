import { currentAttempt } from '@dist-exec/core';
import type { Logger } from 'pino';
import type { MasterEvents } from '../events.js';

/**
 * A debug-level trail of every job through the master: submitted, attempt
 * started and ended, finished, each with `jobId`, `attempt` and `nodeId`, so
 * `--log-level debug` answers "what happened to job X" by grepping one id.
 * Subscribed only at debug level: at info it costs nothing.
 */
export function subscribeJobLog(events: MasterEvents, logger: Logger): () => void {
  const log = logger.child({ component: 'jobs' });
  if (!log.isLevelEnabled('debug')) return () => {};
  return events.subscribe({
    jobsSubmitted: (jobs) => {
      for (const job of jobs)
        log.debug({ jobId: job.id, priority: job.spec.priority, type: job.spec.type }, 'job submitted');
    },
    submitRejected: (code, count) => log.debug({ code, count }, 'submit refused'),
    attemptStarted: (job, attempt, latencyMs) =>
      log.debug({ jobId: job.id, attempt: attempt.number, nodeId: attempt.nodeId, latencyMs }, 'attempt started'),
    attemptEnded: (job, attempt) =>
      log.debug(
        {
          jobId: job.id,
          attempt: attempt.number,
          nodeId: attempt.nodeId,
          succeeded: attempt.succeeded,
          reason: attempt.reason,
          exitCode: attempt.exitCode,
        },
        'attempt ended',
      ),
    jobFinished: (job) => {
      const attempt = currentAttempt(job);
      const runtimeMs =
        job.startedAtMs !== null && job.finishedAtMs !== null ? job.finishedAtMs - job.startedAtMs : null;
      log.debug(
        {
          jobId: job.id,
          attempt: attempt?.number,
          nodeId: attempt?.nodeId,
          state: job.state,
          reason: job.reason,
          exitCode: job.exitCode,
          runtimeMs,
        },
        'job finished',
      );
    },
  });
}
