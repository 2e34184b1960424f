import type * as grpc from '@grpc/grpc-js';
import { isDistExecError, type AttemptRef } from '@dist-exec/core';
import {
  attemptResultToWire,
  num,
  streamToWire,
  toServiceError,
  trustedSpecFromWire,
  unary,
  v1,
  type ExecutionServiceHandlers,
  type wire,
} from '@dist-exec/proto';
import type { Logger } from 'pino';
import type { TaskRunner } from './runner.js';

export const WORKER_SERVICE_NAMES = ['distexec.v1.ExecutionService'];

/** The worker's gRPC adapter: ExecutionService calls to TaskRunner calls. */
export function executionServiceHandlers(runner: TaskRunner, logger: Logger): ExecutionServiceHandlers {
  const log = logger.child({ component: 'server' });
  const onInternalError = (error: unknown, method: string): void => log.error({ err: error, method }, 'request failed');
  return {
    Execute: (call: grpc.ServerWritableStream<wire.ExecuteRequest__Output, wire.ExecuteEvent>) => {
      const request = call.request;
      const ref: AttemptRef = { jobId: request.jobId, attempt: request.attempt };
      let ended = false;
      const end = (): void => {
        if (ended) return;
        ended = true;
        call.end();
      };
      try {
        // A master that goes away only detaches: the attempt runs on and its result is kept.
        const detach = runner.execute(
          {
            ref,
            spec: trustedSpecFromWire(request.spec),
            fromOffset: num(request.fromOffset),
            outputLimitBytes: num(request.outputLimitBytes),
            killGraceMs: request.killGraceMs,
          },
          {
            started: (startedAtMs, pid) => {
              if (!ended) call.write({ started: { startedAtMs, pid } });
            },
            output: (event) => {
              if (!ended) {
                call.write({ output: { offset: event.offset, stream: streamToWire(event.stream), data: event.data, timestampMs: event.timestampMs } });
              }
            },
            finished: (result) => {
              if (ended) return;
              call.write({ finished: attemptResultToWire(result) });
              end();
            },
          },
        );
        call.on('cancelled', () => {
          ended = true;
          detach();
        });
      } catch (error) {
        if (!isDistExecError(error)) onInternalError(error, 'Execute');
        ended = true;
        call.emit('error', toServiceError(error));
      }
    },

    Cancel: unary('Cancel', (request: wire.CancelAttemptRequest__Output) => {
      return { found: runner.cancel({ jobId: request.jobId, attempt: request.attempt }, request.forget) };
    }, onInternalError),
  };
}

export function addExecutionService(server: grpc.Server, runner: TaskRunner, logger: Logger): void {
  server.addService(v1.ExecutionService.service, executionServiceHandlers(runner, logger));
}
