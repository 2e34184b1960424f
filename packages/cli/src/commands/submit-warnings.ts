import type { JobSpecInput, JobView } from '@dist-exec/client';

// What `run` says on stderr at submit, terminal or not, when the job will not do what a person probably expects.

/** `--retries` alone retries only lost workers: say so, since a person usually means failures too. */
export function warnAboutRetries(spec: JobSpecInput): void {
  if ((spec.type ?? 'command') !== 'command' || !spec.maxRetries || spec.retryOnFailure) return;
  process.stderr.write(
    `dist-exec: --retries ${spec.maxRetries} retries the job only when its worker is lost; ` +
      'add --retry-on-failure to retry a non-zero exit or a timeout too\n',
  );
}

/** A detached submit that no registered node could ever run would otherwise wait in silence. */
export function warnIfUnschedulable(job: Pick<JobView, 'id' | 'state' | 'pendingReason'>): void {
  if (job.state === 'PENDING' && job.pendingReason.startsWith('unschedulable'))
    process.stderr.write(`dist-exec: warning: job ${job.id} may never run: ${job.pendingReason}\n`);
}
