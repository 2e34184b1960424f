import { DistExecClient, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_MASTER_ADDRESS } from '@dist-exec/client';
import {
  CANNOT_STORE_PREFIX,
  errorMessage,
  InvalidArgumentError,
  isDistExecError,
  parseDuration,
} from '@dist-exec/core';

/** Exit status when dist-exec itself fails (bad input, master unreachable), as `docker run` does. */
export const EXIT_DIST_EXEC_ERROR = 125;

/** The global flags every command shares. */
export interface GlobalFlags {
  master?: string;
  connectTimeout?: string;
}

/** What every command needs: the master's address and how to talk to it. */
export class CliContext {
  #client: DistExecClient | null = null;

  /** `connectTimeoutMs`: how long to wait for the master before saying it is silent. */
  constructor(
    readonly masterAddress: string,
    readonly connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
  ) {}

  static fromEnv(flags: GlobalFlags): CliContext {
    const timeout = flags.connectTimeout ?? process.env.DIST_EXEC_CONNECT_TIMEOUT;
    const field = flags.connectTimeout !== undefined ? '--connect-timeout' : 'DIST_EXEC_CONNECT_TIMEOUT';
    const connectTimeoutMs = timeout === undefined ? DEFAULT_CONNECT_TIMEOUT_MS : parseDuration(timeout, field);
    if (connectTimeoutMs < 100 || connectTimeoutMs > 3_600_000)
      throw new InvalidArgumentError(`${field}: ${timeout} is out of range; use 100ms to 1h`, { field });
    return new CliContext(flags.master || process.env.DIST_EXEC_MASTER || DEFAULT_MASTER_ADDRESS, connectTimeoutMs);
  }

  get client(): DistExecClient {
    this.#client ??= new DistExecClient({
      address: this.masterAddress,
      callTimeoutMs: 15_000,
      connectTimeoutMs: this.connectTimeoutMs,
      retry: { retries: 1 },
    });
    return this.#client;
  }

  close(): void {
    this.#client?.close();
  }
}

/**
 * A thrown error as the one line a person reads. The client's errors already
 * name the problem (a silent or unreachable master, a wrong port); this adds
 * the flag that changes it.
 */
export function describeCliError(error: unknown, masterAddress: string): string {
  if (isDistExecError(error)) {
    const message = error.message.replace(/^\d+ [A-Z_]+: /, '');
    if (/^cannot reach the master /.test(message)) return `${message}; is it running? Set --master or DIST_EXEC_MASTER`;
    if (/ sent nothing within /.test(message)) return `${message} (--connect-timeout)`;
    // Up, but its disk (or database) does not take writes: nothing a --master would change.
    if (error.code === 'UNAVAILABLE' && message.startsWith(CANNOT_STORE_PREFIX))
      return `the master is up but ${message}`;
    if (error.code === 'UNAVAILABLE' || error.code === 'DEADLINE_EXCEEDED') {
      if (message.startsWith(masterAddress) || message.includes(` ${masterAddress}`)) return message;
      return `cannot reach the master at ${masterAddress} (${message}); is it running? Set --master or DIST_EXEC_MASTER`;
    }
    return message;
  }
  return errorMessage(error);
}

/**
 * Says on stderr, once per outage and whether or not it is a terminal, that
 * the master went away (or silent) and what happens now: a script's log then
 * shows why a command took longer.
 */
export function noticeResume(ctx: CliContext, error: unknown, next: string): void {
  process.stderr.write(`dist-exec: ${describeCliError(error, ctx.masterAddress)}; ${next}\n`);
}

/** Writes bytes to stdout/stderr; a closed pipe (`| head`) ends the program quietly. */
export function writeOut(stream: NodeJS.WriteStream, data: Uint8Array | string): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.write(data)) stream.once('drain', resolve);
    else resolve();
  });
}

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
});
