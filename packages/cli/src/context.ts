import { DistExecClient, DEFAULT_MASTER_ADDRESS } from '@dist-exec/client';
import { errorMessage, isDistExecError } from '@dist-exec/core';

/** Exit status when dist-exec itself fails (bad input, master unreachable), as `docker run` does. */
export const EXIT_DIST_EXEC_ERROR = 125;

/** What every command needs: the master's address and how to talk to it. */
export class CliContext {
  #client: DistExecClient | null = null;

  constructor(readonly masterAddress: string) {}

  static fromEnv(flag: string | undefined): CliContext {
    return new CliContext(flag || process.env.DIST_EXEC_MASTER || DEFAULT_MASTER_ADDRESS);
  }

  get client(): DistExecClient {
    this.#client ??= new DistExecClient({ address: this.masterAddress, callTimeoutMs: 15_000, retry: { retries: 1 } });
    return this.#client;
  }

  close(): void {
    this.#client?.close();
  }
}

/** A thrown error as the one line a person reads. */
export function describeCliError(error: unknown, masterAddress: string): string {
  if (isDistExecError(error)) {
    if (error.code === 'UNAVAILABLE' || error.code === 'DEADLINE_EXCEEDED') {
      const cause =
        /(connect E[A-Z]+|getaddrinfo E[A-Z]+ [^\s.]+|Deadline exceeded)/i.exec(error.message)?.[1] ??
        error.message.replace(/^\d+ [A-Z_]+: /, '');
      return `cannot reach the master at ${masterAddress} (${cause}); is it running? Set --master or DIST_EXEC_MASTER`;
    }
    return error.message.replace(/^\d+ [A-Z_]+: /, '');
  }
  return errorMessage(error);
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
