import type { ServerResponse } from 'node:http';
import { TextDecoder } from 'node:util';
import { jobToJson, type OutputChunk, type OutputStreamName } from '@dist-exec/core';
import type { JobCommands } from '../jobs/job-commands.js';
import { SseStream } from './sse.js';

export interface LogRequest {
  jobId: string;
  fromOffset: number;
  follow: boolean;
  /** Only this stream's output; both when null. */
  stream: OutputStreamName | null;
}

/**
 * A job's output as plain bytes, stdout and stderr interleaved in the order
 * they were written (like `docker logs`). With `follow` the response stays
 * open and grows until the job ends. The header `x-output-offset` is where
 * this response starts, for a client that resumes with `?offset=`.
 */
export async function streamLogsAsText(
  jobs: Pick<JobCommands, 'watch'>,
  request: LogRequest,
  res: ServerResponse,
): Promise<void> {
  let started = false;
  const start = (): void => {
    if (started) return;
    started = true;
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'cache-control': 'no-store',
      'x-output-offset': String(request.fromOffset),
      'x-content-type-options': 'nosniff',
    });
  };
  await jobs.watch(
    { jobId: request.jobId, fromOffset: request.fromOffset, follow: request.follow, noOutput: false },
    {
      job: () => start(),
      output: (chunk) => {
        start();
        if (!request.stream || chunk.stream === request.stream) res.write(chunk.data);
      },
      end: () => {
        start();
        res.end();
      },
      onClose: (stop) => res.once('close', stop),
    },
  );
}

/**
 * The same as server-sent events, for the dashboard: `job` events carry the
 * job's JSON (as `status --json`, without output), `output` events carry
 * `{offset, stream, attempt, text}` decoded as UTF-8, and `end` closes the stream.
 */
export async function streamLogsAsEvents(
  jobs: Pick<JobCommands, 'watch'>,
  request: LogRequest,
  res: ServerResponse,
): Promise<void> {
  const decoders: Record<OutputStreamName, TextDecoder> = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  let stop: () => void = () => {};
  const sse = new SseStream(res, () => stop());
  const output = (chunk: OutputChunk): void => {
    if (request.stream && chunk.stream !== request.stream) return;
    // Streaming decode: a character split across chunks is not mangled.
    const text = decoders[chunk.stream].decode(chunk.data, { stream: true });
    sse.send('output', {
      offset: chunk.offset,
      stream: chunk.stream,
      attempt: chunk.attempt,
      text,
      next: chunk.offset + chunk.data.length,
    });
  };
  await jobs.watch(
    { jobId: request.jobId, fromOffset: request.fromOffset, follow: request.follow, noOutput: false },
    {
      job: (job) => sse.send('job', jobToJson({ ...job, stdout: null, stderr: null })),
      output,
      end: () => {
        sse.send('end', {});
        sse.close();
      },
      onClose: (fn) => {
        stop = fn;
        if (sse.closed) fn();
      },
    },
  );
}
