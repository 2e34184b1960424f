import {
  PermissionDeniedError,
  ResourceExhaustedError,
  type CommandPolicy,
  type JobSpec,
  type TokenLimits,
} from '@dist-exec/core';
import type { TokenUsage } from './token-usage.js';

/** Who submits: a token's name, and its limits and command rules (a Caller is one). */
export interface Submitter {
  name: string;
  limits?: TokenLimits;
  commands?: CommandPolicy;
}

export interface JobAdmissionOptions {
  /** The master's own --allow-command / --deny-command; null: none. */
  commands: CommandPolicy | null;
  usage: TokenUsage;
}

/**
 * What a submit must pass besides a valid spec: the master's command rules,
 * the submitting token's command rules, and the token's --max-pending quota.
 * A refusal names the rule or the quota; nothing of the batch is stored.
 */
export class JobAdmission {
  readonly #options: JobAdmissionOptions;

  constructor(options: JobAdmissionOptions) {
    this.#options = options;
  }

  /** Throws PermissionDeniedError naming the rule the first refused spec breaks (`specs[3]: …` in a batch). */
  checkCommands(specs: readonly JobSpec[], by: Submitter): void {
    const policies = [this.#options.commands, by.commands ?? null].filter((p): p is CommandPolicy => p !== null);
    if (policies.length === 0) return;
    for (const [i, spec] of specs.entries()) {
      for (const policy of policies) {
        const verdict = policy.check(spec);
        if (!verdict.ok) throw new PermissionDeniedError(`${specs.length > 1 ? `specs[${i}]: ` : ''}${verdict.reason}`);
      }
    }
  }

  /** Throws ResourceExhaustedError when `created` more jobs would take `by` past its --max-pending. */
  checkPending(by: Submitter, created: number): void {
    const max = by.limits?.maxPending ?? 0;
    if (max === 0 || created === 0) return;
    const pending = this.#options.usage.pending(by.name);
    if (pending + created <= max) return;
    throw new ResourceExhaustedError(
      `token "${by.name}" has ${pending} jobs pending and may have at most ${max} (its --max-pending); ` +
        `${created === 1 ? 'this job' : `these ${created} jobs`} would pass it: wait for some to start, or ask an admin for a larger quota`,
    );
  }
}
