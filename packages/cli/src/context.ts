import { join } from 'node:path';
import { DistExecClient, DEFAULT_MASTER_ADDRESS } from '@dist-exec/client';
import { errorMessage, isDistExecError } from '@dist-exec/core';
import { resolveToken } from '@dist-exec/runtime';

/** Exit status when dist-exec itself fails (bad input, master unreachable), as `docker run` does. */
export const EXIT_DIST_EXEC_ERROR = 125;

/** Where a master started here without --data-dir keeps its admin token (the quick start's `npm start`). */
export const LOCAL_ADMIN_TOKEN_FILE = join('.dist-exec', 'admin.token');

export interface CliFlags {
  master?: string;
  token?: string;
  tokenFile?: string;
}

/** What every command needs: the master's address, the token, and a client that presents it. */
export class CliContext {
  #client: DistExecClient | null = null;

  constructor(
    readonly masterAddress: string,
    readonly token: string,
    /** Where the token came from (a flag, a variable, a file), for messages; '' when there is none. */
    readonly tokenSource: string,
  ) {}

  /**
   * The master from --master, $DIST_EXEC_MASTER or localhost:50051; the
   * token from --token, --token-file, $DIST_EXEC_TOKEN or
   * $DIST_EXEC_TOKEN_FILE, else the admin token of a master started in this
   * directory (./.dist-exec/admin.token, or $DIST_EXEC_DATA_DIR's), when it
   * can be read: so `npm start` and then `npx dist-exec run …` need no step between.
   */
  static fromEnv(flags: CliFlags): CliContext {
    const masterAddress = flags.master || process.env.DIST_EXEC_MASTER || DEFAULT_MASTER_ADDRESS;
    const fallbackFiles = [
      ...(process.env.DIST_EXEC_DATA_DIR ? [join(process.env.DIST_EXEC_DATA_DIR, 'admin.token')] : []),
      LOCAL_ADMIN_TOKEN_FILE,
    ];
    const resolved = resolveToken({
      token: flags.token,
      tokenFile: flags.tokenFile,
      envToken: process.env.DIST_EXEC_TOKEN,
      envTokenFile: process.env.DIST_EXEC_TOKEN_FILE,
      fallbackFiles,
    });
    return new CliContext(masterAddress, resolved?.token ?? '', resolved?.source ?? '');
  }

  get client(): DistExecClient {
    this.#client ??= new DistExecClient({
      address: this.masterAddress,
      token: this.token,
      callTimeoutMs: 15_000,
      retry: { retries: 1 },
    });
    return this.#client;
  }

  close(): void {
    this.#client?.close();
  }
}

/** A thrown error as the one line a person reads. */
export function describeCliError(error: unknown, masterAddress: string, tokenSource = ''): string {
  if (isDistExecError(error)) {
    if (error.code === 'UNAVAILABLE' || error.code === 'DEADLINE_EXCEEDED') {
      const cause =
        /(connect E[A-Z]+|getaddrinfo E[A-Z]+ [^\s.]+|Deadline exceeded)/i.exec(error.message)?.[1] ??
        error.message.replace(/^\d+ [A-Z_]+: /, '');
      return `cannot reach the master at ${masterAddress} (${cause}); is it running? Set --master or DIST_EXEC_MASTER`;
    }
    const message = error.message.replace(/^\d+ [A-Z_]+: /, '');
    // Say which token the master refused: the one from a flag, a variable or a file found on the way.
    if (error.code === 'UNAUTHENTICATED' && tokenSource)
      return `the master refused the token from ${tokenSource}: ${message}`;
    return message;
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
