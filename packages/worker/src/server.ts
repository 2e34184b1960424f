import type * as grpc from '@grpc/grpc-js';
import { isDistExecError, type AttemptRef } from '@dist-exec/core';
import {
  attemptResultToWire,
  num,
  streamToWire,
  toServiceError,
  trustedSpecFromWire,
  v1,
  type ExecutionServiceHandlers,
  type wire,
} from '@dist-exec/proto';
import { unary } from '@dist-exec/runtime';
import type { Logger } from 'pino';
import { DispatchSession, type DispatchCall } from './dispatch-session.js';
import type { MasterEpoch } from './master-epoch.js';
import type { TaskRunner } from './runner.js';

export const WORKER_SERVICE_NAMES = ['distexec.v1.ExecutionService'];

/** The worker's open Dispatch streams, so a shutting-down worker can end them. */
export class DispatchSessions {
  readonly #sessions = new Set<DispatchSession>();

  readonly #epochs: MasterEpoch | undefined;

  constructor(epochs?: MasterEpoch) {
    this.#epochs = epochs;
  }

  open(call: DispatchCall, runner: TaskRunner, onInternalError: (error: unknown) => void): void {
    const session = new DispatchSession(call, runner, onInternalError, this.#epochs);
    this.#sessions.add(session);
    const forget = (): void => {
      this.#sessions.delete(session);
    };
    call.on('cancelled', forget);
    call.on('error', forget);
    call.on('finish', forget);
  }

  /** Ends every stream (their attempts only detach): a server's graceful shutdown waits for open streams. */
  closeAll(): void {
    for (const session of this.#sessions) session.close();
    this.#sessions.clear();
  }
}

/** The worker's gRPC adapter: ExecutionService calls to TaskRunner calls. */
export function executionServiceHandlers(
  runner: TaskRunner,
  logger: Logger,
  sessions: DispatchSessions,
  epochs?: MasterEpoch,
): ExecutionServiceHandlers {
  const log = logger.child({ component: 'server' });
  const onInternalError = (error: unknown, method: string): void => log.error({ err: error, method }, 'request failed');
  return {
    Dispatch: (call: DispatchCall) => sessions.open(call, runner, (error) => onInternalError(error, 'Dispatch')),

    Execute: (call: grpc.ServerWritableStream<wire.ExecuteRequest__Output, wire.ExecuteEvent>) => {
      const request = call.request;
      try {
        epochs?.check(num(request.masterEpoch));
      } catch (error) {
        call.emit('error', toServiceError(error));
        return;
      }
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
                call.write({
                  output: {
                    offset: event.offset,
                    stream: streamToWire(event.stream),
                    data: event.data,
                    timestampMs: event.timestampMs,
                  },
                });
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

    Cancel: unary(
      'Cancel',
      (request: wire.CancelAttemptRequest__Output) => {
        epochs?.check(num(request.masterEpoch));
        return { found: runner.cancel({ jobId: request.jobId, attempt: request.attempt }, request.forget) };
      },
      onInternalError,
    ),
  };
}

/** Serves ExecutionService (with Dispatch unless `dispatch` is false); returns its open Dispatch streams. */
export function addExecutionService(
  server: grpc.Server,
  runner: TaskRunner,
  logger: Logger,
  dispatch = true,
  epochs?: MasterEpoch,
): DispatchSessions {
  const sessions = new DispatchSessions(epochs);
  const handlers: Partial<ExecutionServiceHandlers> = executionServiceHandlers(runner, logger, sessions, epochs);
  // grpc-js answers UNIMPLEMENTED for a method without a handler, as a worker that serves only Execute does.
  if (!dispatch) delete handlers.Dispatch;
  server.addService(v1.ExecutionService.service, handlers as grpc.UntypedServiceImplementation);
  return sessions;
}
