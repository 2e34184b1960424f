import { homedir } from 'node:os';
import { join } from 'node:path';
import { DistExecClient, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_MASTER_ADDRESS } from '@dist-exec/client';
import {
  CANNOT_STORE_PREFIX,
  errorMessage,
  escapeControls,
  InvalidArgumentError,
  isDistExecError,
  parseDuration,
} from '@dist-exec/core';
import type { ClientTls } from '@dist-exec/client';
import { loadTlsFiles, resolveToken } from '@dist-exec/runtime';

/** Exit status when dist-exec itself fails (bad input, master unreachable), as `docker run` does. */
export const EXIT_DIST_EXEC_ERROR = 125;

/** Where a master started here without --data-dir keeps its admin token (the quick start's `npm start`). */
export const LOCAL_ADMIN_TOKEN_FILE = join('.dist-exec', 'admin.token');

/** The global flags every command shares. */
export interface GlobalFlags {
  master?: string;
  connectTimeout?: string;
  token?: string;
  tokenFile?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** Where a command's token came from. */
export interface TokenChoice {
  token: string;
  /** A flag, a variable or a file, for messages; '' when there is none. */
  source: string;
}

/** What every command needs: the master's address, the token, and a client that presents it. */
export class CliContext {
  #client: DistExecClient | null = null;

  /** `connectTimeoutMs`: how long to wait for the master before saying it is silent. */
  constructor(
    readonly masterAddress: string,
    readonly connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
    readonly credential: TokenChoice = { token: '', source: '' },
    /** How the master is dialled over TLS; null: plaintext. */
    readonly tls: ClientTls | null = null,
    /** Where the CLI keeps what must outlive one run (the keys of array submits). */
    readonly stateDir = join(homedir(), '.local', 'state', 'dist-exec'),
  ) {}

  /**
   * The master from --master, $DIST_EXEC_MASTER or localhost:50051; the
   * token from --token, --token-file, $DIST_EXEC_TOKEN or
   * $DIST_EXEC_TOKEN_FILE, else the admin token of a master started in this
   * directory (./.dist-exec/admin.token, or $DIST_EXEC_DATA_DIR's), when it
   * can be read: so `npm start` and then `npx dist-exec run …` need no step between.
   */
  static fromEnv(flags: GlobalFlags): CliContext {
    const timeout = flags.connectTimeout ?? process.env.DIST_EXEC_CONNECT_TIMEOUT;
    const field = flags.connectTimeout !== undefined ? '--connect-timeout' : 'DIST_EXEC_CONNECT_TIMEOUT';
    const connectTimeoutMs = timeout === undefined ? DEFAULT_CONNECT_TIMEOUT_MS : parseDuration(timeout, field);
    if (connectTimeoutMs < 100 || connectTimeoutMs > 3_600_000)
      throw new InvalidArgumentError(`${field}: ${timeout} is out of range; use 100ms to 1h`, { field });
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
    const env = process.env;
    const { client: tls } = loadTlsFiles({
      ca: flags.tlsCa ?? env.DIST_EXEC_TLS_CA,
      cert: flags.tlsCert ?? env.DIST_EXEC_TLS_CERT,
      key: flags.tlsKey ?? env.DIST_EXEC_TLS_KEY,
    });
    return new CliContext(
      flags.master || env.DIST_EXEC_MASTER || DEFAULT_MASTER_ADDRESS,
      connectTimeoutMs,
      resolved ?? { token: '', source: '' },
      tls,
      join(process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'dist-exec'),
    );
  }

  /** Where the token came from, for messages ('' when there is none). */
  get tokenSource(): string {
    return this.credential.source;
  }

  get client(): DistExecClient {
    this.#client ??= new DistExecClient({
      address: this.masterAddress,
      token: this.credential.token,
      tls: this.tls,
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
 * name the problem (a silent or unreachable master, a wrong port, a refused
 * token); this adds the flag that changes it, or where the token came from.
 */
export function describeCliError(error: unknown, masterAddress: string, tokenSource = ''): string {
  // Messages echo what callers sent (ids, commands, names): one line, nothing a terminal acts on.
  return escapeControls(explainCliError(error, masterAddress, tokenSource));
}

function explainCliError(error: unknown, masterAddress: string, tokenSource: string): string {
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
    // Say which token the master refused: the one from a flag, a variable or a file found on the way.
    if (error.code === 'UNAUTHENTICATED' && tokenSource)
      return `the master refused the token from ${tokenSource}: ${message}`;
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
  process.stderr.write(`dist-exec: ${describeCliError(error, ctx.masterAddress, ctx.tokenSource)}; ${next}\n`);
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
