import type { Clock } from '@dist-exec/core';
import type { Logger } from 'pino';
import type { Refusal } from './auth-interceptor.js';

export interface RefusalLogOptions {
  logger: Logger;
  clock: Clock;
  /** Lines logged per window at most; the rest are counted. @default 10 */
  burst?: number;
  /** @default 60000 */
  windowMs?: number;
}

/**
 * Logs refused calls (gRPC and HTTP) as warnings, at most `burst` a window:
 * a scan or a misconfigured client must not flood the log, and what was
 * left out is counted in the next line. Never logs the credential: a
 * refusal carries the method, the reason, the peer and the token's name
 * (when it was known).
 */
export class RefusalLog {
  readonly #options: RefusalLogOptions;
  readonly #log: Logger;
  #windowStart = 0;
  #logged = 0;
  #suppressed = 0;

  constructor(options: RefusalLogOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'auth' });
  }

  note(refusal: Refusal): void {
    const now = this.#options.clock.now();
    if (now - this.#windowStart >= (this.#options.windowMs ?? 60_000)) {
      this.#windowStart = now;
      this.#logged = 0;
    }
    if (this.#logged >= (this.#options.burst ?? 10)) {
      this.#suppressed += 1;
      return;
    }
    this.#logged += 1;
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    this.#log.warn({ ...refusal, ...(suppressed ? { suppressed } : {}) }, 'call refused');
  }
}
