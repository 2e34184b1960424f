import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, InvalidArgumentError } from '@dist-exec/core';

/** Where a worker keeps the secret of its node id between restarts. */
export interface NodeSecretStore {
  /** The kept secret; '' when there is none yet. Throws (one line naming the file) when it cannot be read. */
  load(): string;
  save(secret: string): void;
}

export const NODE_SECRET_FILE = 'node-secret';

/**
 * The node secret in `<state-dir>/node-secret`: written (mode 0600, the
 * directory 0700) when the master issues one, read at start, so a restarted
 * worker keeps its node id and comes back at once, on a new address if need be.
 */
export class NodeSecretFile implements NodeSecretStore {
  readonly path: string;

  constructor(readonly stateDir: string) {
    this.path = join(stateDir, NODE_SECRET_FILE);
  }

  load(): string {
    try {
      const stat = statSync(this.path);
      if ((stat.mode & 0o004) !== 0)
        throw new InvalidArgumentError(
          `${this.path}: readable by every user (mode ${(stat.mode & 0o777).toString(8)}); run chmod 600 ${this.path}`,
        );
      return readFileSync(this.path, 'utf8').trim();
    } catch (error) {
      if (error instanceof InvalidArgumentError) throw error;
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw new InvalidArgumentError(
        `${this.path}: cannot be read (${errorMessage(error)}); check --state-dir and its permissions`,
        { cause: error },
      );
    }
  }

  save(secret: string): void {
    try {
      mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
      // A whole file or the old one, never half of one.
      const temporary = `${this.path}.${process.pid}.tmp`;
      writeFileSync(temporary, `${secret}\n`, { mode: 0o600 });
      renameSync(temporary, this.path);
    } catch (error) {
      throw new InvalidArgumentError(
        `${this.path}: cannot be written (${errorMessage(error)}); give the worker a writable --state-dir`,
        { field: '--state-dir', cause: error },
      );
    }
  }
}

/** Keeps the secret in memory: for workers that share a process and have no state dir of their own (the simulator). */
export class MemoryNodeSecret implements NodeSecretStore {
  #secret = '';

  load(): string {
    return this.#secret;
  }

  save(secret: string): void {
    this.#secret = secret;
  }
}
