import { isTerminal, type Job, type JobEvent, type JobState, type OutputChunk } from '@dist-exec/core';
import type { ClusterState } from '../cluster-state.js';

export interface WatchRequest {
  jobId: string;
  fromOffset: number;
  follow: boolean;
  noOutput: boolean;
  /** Send only the final state (output still flows unless noOutput). */
  finalOnly?: boolean;
  /** The state the caller has sent already (RunJob's submitted job): the current state is sent only if it differs. */
  sentState?: JobState;
  /** The attempt number sent with sentState. @default 0 */
  sentAttempts?: number;
}

export interface WatchSink {
  job(job: Job): void;
  output(chunk: OutputChunk): void;
  end(): void;
  /** Registers the function that stops the watch when the client goes away. */
  onClose(stop: () => void): void;
}

/**
 * Streams a job's state and output from an offset: first what is stored, then
 * live events. It subscribes before reading the store and skips what the read
 * already covered, so nothing between the two is missed or sent twice. A job
 * event goes out when the state or the attempt changes, once: the update a
 * RUNNING attempt gets when its process starts is not a change a watcher
 * needs (the final state carries the start time).
 */
export async function watchJob(cluster: ClusterState, request: WatchRequest, sink: WatchSink): Promise<void> {
  const job = await cluster.getJob(request.jobId);
  let sentUpTo = request.fromOffset;
  let replaying = true;
  let closed = false;
  let lastSent: JobState | null = request.sentState ?? null;
  let lastAttempts = request.sentAttempts ?? 0;
  const buffered: JobEvent[] = [];
  let sentFinal = false;
  const sendJob = (update: Job): void => {
    const final = isTerminal(update.state);
    if (request.finalOnly && !final) return;
    // The final state goes out once, as the last event (even when RunJob's first event had it already).
    if (final ? sentFinal : update.state === lastSent && update.attempts === lastAttempts) return;
    sentFinal = final;
    sink.job(update);
    lastSent = update.state;
    lastAttempts = update.attempts;
  };

  const sendOutput = (chunk: OutputChunk): void => {
    const end = chunk.offset + chunk.data.length;
    if (request.noOutput || end <= sentUpTo) return;
    sink.output(
      chunk.offset >= sentUpTo
        ? chunk
        : { ...chunk, offset: sentUpTo, data: chunk.data.subarray(sentUpTo - chunk.offset) },
    );
    sentUpTo = end;
  };
  const finish = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    sink.end();
  };
  const handle = (event: JobEvent): void => {
    if (closed) return;
    if (event.type === 'output') {
      sendOutput(event.chunk);
      return;
    }
    sendJob(event.job);
    if (isTerminal(event.job.state)) finish();
  };
  const unsubscribe = cluster.watch(request.jobId, (event) => (replaying ? buffered.push(event) : handle(event)));
  sink.onClose(() => {
    closed = true;
    unsubscribe();
  });

  try {
    // A finished job's state comes after its output, so the last event carries the final state.
    const finished = isTerminal(job.state);
    if (!finished) sendJob(job);
    if (!request.noOutput)
      for (const chunk of await cluster.readOutput(request.jobId, request.fromOffset)) sendOutput(chunk);
    if (finished) sendJob(job);
  } catch (error) {
    unsubscribe();
    throw error;
  }
  replaying = false;
  for (const event of buffered) handle(event);
  if (closed) return;
  const current = cluster.activeJob(request.jobId) ?? (await cluster.getJob(request.jobId));
  if (!request.follow || isTerminal(current.state)) {
    // The last event always carries the state as it is now.
    sendJob(current);
    finish();
  }
}
