import type { FailureReason, HttpResult, JobSpec, OutputStreamName } from '@dist-exec/core';

/** What an executor gets for one attempt. */
export interface ExecutionContext {
  spec: JobSpec;
  /** Aborts on timeout or cancel; `signal.reason` says which. */
  signal: AbortSignal;
  /** SIGTERM → SIGKILL grace when the signal aborts. */
  killGraceMs: number;
  /** Call once the work has started (a process exists), with its pid when there is one. */
  onStarted(pid: number): void;
  onOutput(stream: OutputStreamName, data: Uint8Array): void;
}

/** How the work ended, as the executor saw it. The runner decides TIMEOUT / CANCELLED from the signal. */
export interface ExecutionOutcome {
  succeeded: boolean;
  reason: FailureReason | null;
  exitCode: number | null;
  error: string;
  httpResult?: HttpResult | null;
  /** Peak memory of the work's processes, in bytes; 0 or absent = not measured. */
  peakMemoryBytes?: number;
  /** CPU time (user + system) of the work's processes; 0 or absent = not measured. */
  cpuTimeMs?: number;
}

/**
 * Runs one kind of task. Adding a task type is one file implementing this,
 * plus its registration in `executors/index.ts`.
 */
export interface Executor {
  readonly type: string;
  /** Resolves when the work has ended and every resource it held is released; rejects only on bugs. */
  run(context: ExecutionContext): Promise<ExecutionOutcome>;
  /** Releases what the executor holds between runs (a helper process); called when the worker stops. */
  stop?(): void;
}
