import { InvalidArgumentError } from './errors.js';
import type { JobSpec } from './types.js';

/** Most rules of one kind a master, worker or token may have. */
export const MAX_COMMAND_RULES = 64;
/** Longest rule, in characters. */
export const MAX_COMMAND_RULE_LENGTH = 1000;

/** Rules as given: regular expressions (JavaScript syntax). */
export interface CommandRules {
  /** The whole command must match one of these (none: any command). */
  allow: readonly string[];
  /** A command that matches one of these anywhere is refused. */
  deny: readonly string[];
}

export const NO_COMMAND_RULES: CommandRules = Object.freeze({ allow: Object.freeze([]), deny: Object.freeze([]) });

/** What a policy answers: allowed, or refused with one line that names the rule. */
export type CommandVerdict = { ok: true } | { ok: false; reason: string };

const ALLOWED: CommandVerdict = Object.freeze({ ok: true });

/**
 * The text a command policy looks at: the shell command, or the argv joined
 * by spaces. Other task types (http) have no command: policies pass them
 * (the worker's --http-allow/--http-deny govern http targets).
 */
export function commandText(spec: Pick<JobSpec, 'type' | 'command' | 'argv'>): string | null {
  if (spec.type !== 'command') return null;
  return spec.command || spec.argv.join(' ');
}

/**
 * `--allow-command` / `--deny-command` rules compiled: a command is refused
 * when a deny rule matches anywhere in it, or when there are allow rules and
 * none matches the whole command (as if written between ^ and $; `.` does not
 * match a newline, so `make .*` does not let `make x\nrm -rf ~` through).
 * Anchoring the allow rules keeps `--allow-command make` from admitting
 * `rm -rf ~; make`. A shell can spell a command many ways: deny rules are a
 * tripwire, allow rules the control.
 */
export class CommandPolicy {
  readonly rules: CommandRules;
  readonly #allow: readonly RegExp[];
  readonly #deny: readonly RegExp[];
  /** Whose rules these are, for messages: "the master's", "this worker's", 'token "ci"'s'. */
  readonly #owner: string;

  /**
   * `owner` says whose rules these are in refusals; `field` names the input
   * in errors (a flag, or a request field). Throws InvalidArgumentError
   * naming it for a rule that is not a regular expression.
   */
  constructor(rules: CommandRules, owner: string, field = { allow: '--allow-command', deny: '--deny-command' }) {
    this.rules = { allow: [...rules.allow], deny: [...rules.deny] };
    this.#owner = owner;
    this.#allow = compileRules(rules.allow, field.allow, (source) => `^(?:${source})$`);
    this.#deny = compileRules(rules.deny, field.deny, (source) => source);
  }

  get empty(): boolean {
    return this.#allow.length === 0 && this.#deny.length === 0;
  }

  check(spec: Pick<JobSpec, 'type' | 'command' | 'argv'>): CommandVerdict {
    if (this.empty) return ALLOWED;
    const text = commandText(spec);
    if (text === null) return ALLOWED;
    for (const [i, rule] of this.#deny.entries()) {
      if (rule.test(text))
        return { ok: false, reason: `refused by ${this.#owner} --deny-command ${quote(this.rules.deny[i] ?? '')}` };
    }
    if (this.#allow.length && !this.#allow.some((rule) => rule.test(text))) {
      const rules = this.rules.allow.map(quote).join(', ');
      return {
        ok: false,
        reason: `refused: the command matches none of ${this.#owner} --allow-command rules (${rules}; a rule must match the whole command)`,
      };
    }
    return ALLOWED;
  }
}

function quote(rule: string): string {
  return JSON.stringify(rule);
}

function compileRules(sources: readonly string[], field: string, wrap: (source: string) => string): RegExp[] {
  if (sources.length > MAX_COMMAND_RULES)
    throw new InvalidArgumentError(`${field}: ${sources.length} rules; at most ${MAX_COMMAND_RULES}`, { field });
  return sources.map((source) => {
    if (source.length === 0 || source.length > MAX_COMMAND_RULE_LENGTH)
      throw new InvalidArgumentError(`${field}: a rule must have 1 to ${MAX_COMMAND_RULE_LENGTH} characters`, {
        field,
      });
    try {
      return new RegExp(wrap(source));
    } catch (error) {
      const why = error instanceof Error ? error.message.replace(/^Invalid regular expression: /, '') : String(error);
      throw new InvalidArgumentError(`${field}: ${quote(source)} is not a regular expression (${why})`, { field });
    }
  });
}
