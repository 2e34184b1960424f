import { isTerminal, type Job, type JobEvent, type OutputChunk } from '@dist-exec/core';
import type { ClusterState } from './cluster-state.js';

export interface WatchRequest {
  jobId: string;
  fromOffset: number;
  follow: boolean;
  noOutput: boolean;
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
 * already covered, so nothing between the two is missed or sent twice.
 */
export async function watchJob(cluster: ClusterState, request: WatchRequest, sink: WatchSink): Promise<void> {
  const job = await cluster.getJob(request.jobId);
  let sentUpTo = request.fromOffset;
  let replaying = true;
  let closed = false;
  let lastState = job.state;
  const buffered: JobEvent[] = [];

  const sendOutput = (chunk: OutputChunk): void => {
    const end = chunk.offset + chunk.data.length;
    if (request.noOutput || end <= sentUpTo) return;
    sink.output(chunk.offset >= sentUpTo ? chunk : { ...chunk, offset: sentUpTo, data: chunk.data.subarray(sentUpTo - chunk.offset) });
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
    sink.job(event.job);
    lastState = event.job.state;
    if (isTerminal(event.job.state)) finish();
  };
  const unsubscribe = cluster.watch(request.jobId, (event) => (replaying ? buffered.push(event) : handle(event)));
  sink.onClose(() => {
    closed = true;
    unsubscribe();
  });

  try {
    sink.job(job);
    if (!request.noOutput) for (const chunk of await cluster.readOutput(request.jobId, request.fromOffset)) sendOutput(chunk);
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
    if (current.state !== lastState) sink.job(current);
    finish();
  }
}
