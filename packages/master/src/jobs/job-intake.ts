import {
  BUILTIN_TASK_TYPES,
  compileJobSpec,
  InvalidArgumentError,
  newJobId,
  type Attempt,
  type Job,
  type JobSpec,
  type JobSpecInput,
  type JobSpecLimits,
  type TaskConfigSchema,
  type TaskTypes,
} from '@dist-exec/core';
import type { NodeRegistry } from '../nodes/registry.js';
import type { Store } from '../store/store.js';

/** What a submit answers for each spec: a new job, or the earlier one its idempotency key matched. */
export interface SubmitResult {
  job: Job;
  existing: boolean;
}

export interface JobIntakeOptions {
  store: Store;
  registry: NodeRegistry;
  limits: JobSpecLimits;
}

/** Every job starts with this one (frozen, shared); the first attempt replaces it with an array of its own. */
const NO_ATTEMPTS = Object.freeze([]) as unknown as Attempt[];

/**
 * The front half of a submit: validating specs against the limits (task
 * types include every executor a node offers), finding the earlier job of an
 * idempotency key (stored, or in a submit not yet durable) and making the new
 * jobs. ClusterState does the rest (the queue limit, the write, the queue).
 */
export class JobIntake {
  readonly #options: JobIntakeOptions;
  /** Idempotency keys of jobs whose submit is not durable yet. */
  readonly #inflightKeys = new Map<string, Job>();
  #taskTypes: TaskTypes | null = null;

  constructor(options: JobIntakeOptions) {
    this.#options = options;
    // The task types nodes offer change only when a node joins, leaves or registers again (its shape).
    options.registry.subscribe((_node, change) => {
      if (change !== 'state') this.#taskTypes = null;
    });
  }

  /** Validates every spec; the first bad one rejects the batch, named by its index when there are several. */
  compile(inputs: readonly JobSpecInput[]): JobSpec[] {
    const limits = this.#limits();
    // Jobs of one bulk submit often run the same command (arrays vary the env): one string for all of them.
    const commands = inputs.length > 1 ? new Map<string, string>() : null;
    return inputs.map((input, i) => {
      try {
        const spec = compileJobSpec(input, limits);
        if (commands && spec.command) {
          const known = commands.get(spec.command);
          if (known === undefined) commands.set(spec.command, spec.command);
          else spec.command = known;
        }
        return spec;
      } catch (error) {
        // In a batch the field is the i-th spec's: `spec.command` becomes `specs[3].command`.
        if (inputs.length > 1 && error instanceof InvalidArgumentError && error.field) {
          const field = error.field.replace(/^spec\b\.?/, `specs[${i}].`).replace(/\.$/, '');
          throw new InvalidArgumentError(`${field}: ${error.message.replace(`${error.field}: `, '')}`, {
            field,
            cause: error,
          });
        }
        if (inputs.length > 1 && error instanceof Error) error.message = `specs[${i}]: ${error.message}`;
        throw error;
      }
    });
  }

  /** The stored jobs of the specs' idempotency keys (the active copy where there is one), by key. */
  async storedJobs(specs: readonly JobSpec[], active: (id: string) => Job | undefined): Promise<Map<string, Job>> {
    const stored = new Map<string, Job>();
    const keys: string[] = [];
    for (const spec of specs)
      if (spec.idempotencyKey && !this.#inflightKeys.has(spec.idempotencyKey)) keys.push(spec.idempotencyKey);
    if (keys.length === 0) return stored;
    const { store } = this.#options;
    if (store.findJobsByIdempotencyKeys && keys.length > 1) {
      for (const [key, job] of await store.findJobsByIdempotencyKeys(keys)) stored.set(key, active(job.id) ?? job);
      return stored;
    }
    for (const key of keys) {
      const job = await store.findJobByIdempotencyKey(key);
      if (job) stored.set(key, active(job.id) ?? job);
    }
    return stored;
  }

  /**
   * A result per spec, and the jobs to create (PENDING, no seq yet). Call
   * without awaiting anything since `storedJobs`: a key is matched against
   * this batch, submits in flight, then the store, in that order.
   */
  build(
    specs: readonly JobSpec[],
    stored: ReadonlyMap<string, Job>,
    nowMs: number,
    submittedBy: string,
  ): { results: SubmitResult[]; created: Job[] } {
    const results: SubmitResult[] = [];
    const created: Job[] = [];
    const keysInBatch = new Map<string, Job>();
    for (const spec of specs) {
      const key = spec.idempotencyKey;
      const earlier = key ? (keysInBatch.get(key) ?? this.#inflightKeys.get(key) ?? stored.get(key)) : undefined;
      if (earlier) {
        results.push({ job: earlier, existing: true });
        continue;
      }
      const job = newJob(spec, nowMs, submittedBy);
      created.push(job);
      if (key) keysInBatch.set(key, job);
      results.push({ job, existing: false });
    }
    return { results, created };
  }

  /** The jobs' keys answer with them until `release`, while their write is in flight. */
  hold(jobs: readonly Job[]): void {
    for (const job of jobs) if (job.spec.idempotencyKey) this.#inflightKeys.set(job.spec.idempotencyKey, job);
  }

  release(jobs: readonly Job[]): void {
    for (const job of jobs) if (job.spec.idempotencyKey) this.#inflightKeys.delete(job.spec.idempotencyKey);
  }

  /**
   * Task types a job may name: the configured ones and every capability a
   * node offers, with the config schema its executor sent (the
   * first node that sent one, when nodes differ); cached until a node's shape changes.
   */
  #limits(): JobSpecLimits {
    const { limits, registry } = this.#options;
    if (!this.#taskTypes) {
      const types = new Map<string, TaskConfigSchema | null>(limits.taskTypes ?? BUILTIN_TASK_TYPES);
      for (const node of registry.all()) {
        for (const type of node.capabilities) if (!types.get(type)) types.set(type, node.taskConfigs.get(type) ?? null);
      }
      this.#taskTypes = types;
    }
    return { ...limits, taskTypes: this.#taskTypes };
  }
}

function newJob(spec: JobSpec, createdAtMs: number, submittedBy: string): Job {
  return {
    id: newJobId(),
    seq: 0,
    spec,
    state: 'PENDING',
    reason: null,
    exitCode: null,
    error: '',
    workerId: null,
    attempts: 0,
    createdAtMs,
    startedAtMs: null,
    finishedAtMs: null,
    pendingReason: '',
    attemptHistory: NO_ATTEMPTS,
    httpResult: null,
    outputLength: 0,
    stdoutDroppedBytes: 0,
    stderrDroppedBytes: 0,
    notBeforeMs: 0,
    submittedBy,
    cancelledBy: '',
  };
}
