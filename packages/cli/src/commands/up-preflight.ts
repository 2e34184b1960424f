/**
 * What `dist-exec up` checks before it starts anything, so that a second
 * `npm start` fails at once with one line instead of starting workers that
 * register with the first cluster under the same ids: the ports are free,
 * and no other `up` holds the data dir.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { FailedPreconditionError, InvalidArgumentError } from '@dist-exec/core';

/** The file in the data dir that says which `up` uses it (its process id). */
export const UP_LOCK_FILE = 'up.pid';

/** Resolves when `port` on `host` can be listened on now; rejects with the one line to print when it cannot. */
export function checkPortFree(host: string, port: number, flag: string): Promise<void> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        reject(
          new FailedPreconditionError(`port ${port} is in use: is another dist-exec up running? use ${flag}`, {
            cause: error,
          }),
        );
      else if (error.code === 'EACCES')
        reject(new InvalidArgumentError(`${flag}: port ${port} needs privileges; use one above 1023`, { field: flag }));
      else reject(new FailedPreconditionError(`${flag}: cannot listen on ${host}:${port}: ${error.message}`));
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolvePort()));
  });
}

/** A picked port nobody listens on now (for --port 0). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Whether `pid` is a live `dist-exec up` (not a process that took the pid of one killed with -9). */
function liveUp(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, under another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('up');
  } catch {
    // No /proc (not Linux): a live process with that pid is taken to be it.
    return true;
  }
}

/**
 * Takes the data dir for this `up`: creates `<dataDir>/up.pid` holding our
 * process id, atomically (O_EXCL), so two `up`s started at once cannot both
 * get it. A file left by an `up` that is gone (killed with -9) is taken
 * over. Throws the one line to print when a live `up` holds it. Returns the
 * function that lets go (removes the file).
 */
export function lockDataDir(dataDir: string): () => void {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, UP_LOCK_FILE);
  for (let attempt = 0; ; attempt += 1) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (Number(readFileSync(file, 'utf8').trim()) === process.pid) rmSync(file, { force: true });
        } catch {
          // Already gone.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    const holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && liveUp(holder))
      throw new FailedPreconditionError(
        `the data dir ${dataDir} is in use by another dist-exec up (pid ${holder}): stop it, or use --data-dir`,
      );
    rmSync(file, { force: true });
  }
}
