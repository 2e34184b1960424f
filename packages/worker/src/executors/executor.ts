import type {
  AttemptRef,
  FailureReason,
  HttpResult,
  JobSpec,
  OutputStreamName,
  TaskConfig,
  TaskConfigOf,
  TaskConfigSchema,
} from '@dist-exec/core';
import type { Logger } from 'pino';

/** What an executor gets for one attempt. */
export interface ExecutionContext {
  /** Which attempt (names its cgroup and its record); absent where an executor is used on its own. */
  attempt?: AttemptRef;
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

/** What an executor learns when the worker starts (its id is known once it listens). */
export interface ExecutorStart {
  nodeId: string;
  /** The worker's --state-dir: what must survive a restart. */
  stateDir: string;
  logger: Logger;
}

/**
 * Runs one kind of task. Adding a task type is one file implementing this,
 * plus its line in `defaultExecutors()` (executors/index.ts). A task type
 * with fields of its own exports their schema as `config`: the worker sends
 * it when it registers, the master checks every job's config against it at
 * submit, and `run` reads the checked config with `configOf`.
 */
export interface Executor {
  readonly type: string;
  /** The schema of this task type's config (`spec.config`); absent: the type takes none. */
  readonly config?: TaskConfigSchema;
  /**
   * Called once before the worker registers. Returns the attempts a previous
   * run of this worker left running, which it killed: the worker reports them lost.
   */
  start?(context: ExecutorStart): Promise<AttemptRef[]>;
  /** Refuses a spec this executor will not run here (throws InvalidArgumentError): checked before the attempt is accepted. */
  check?(spec: JobSpec): void;
  /** Resolves when the work has ended and every resource it held is released; rejects only on bugs. */
  run(context: ExecutionContext): Promise<ExecutionOutcome>;
  /** Releases what the executor holds between runs (a helper process); called when the worker stops. */
  stop?(): void;
}

/** The job's config as the executor's schema types it (checked against the schema before `run`). */
export function configOf<S extends TaskConfigSchema>(_schema: S, spec: JobSpec): TaskConfigOf<S> {
  return (spec.config ?? {}) as TaskConfig as TaskConfigOf<S>;
}
