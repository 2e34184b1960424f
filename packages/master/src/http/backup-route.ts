import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailedPreconditionError } from '@dist-exec/core';
import type { Store } from '../store/store.js';
import type { Router } from './router.js';

/**
 * GET /api/v1/backup: a consistent copy of the sqlite store, taken while the
 * master runs. The master holds its database in exclusive locking mode (no
 * memory-mapped WAL index to fail with SIGBUS), so no other process may read
 * it, not even `sqlite3 .backup`: this is the online backup. The copy is
 * made with SQLite's backup API through the master's own connection, into a
 * temporary file outside the data dir (whose disk may be the full one), then
 * sent and deleted.
 */
/** What the backup needs of the store. */
export type BackupSource = Pick<Store, 'kind' | 'backup'>;

export function addBackupRoute(router: Router, store: BackupSource): void {
  router.add('GET', '/api/v1/backup', async ({ res, signal }) => {
    if (!store.backup)
      throw new FailedPreconditionError(`the ${store.kind} store has no file to back up (it keeps nothing on disk)`);
    const dir = mkdtempSync(join(tmpdir(), 'dist-exec-backup-'));
    const file = join(dir, 'dist-exec.db');
    const cleanUp = (): void => rmSync(dir, { recursive: true, force: true });
    try {
      await store.backup(file);
    } catch (error) {
      cleanUp();
      throw error;
    }
    if (signal.aborted) {
      cleanUp();
      return;
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    res.writeHead(200, {
      'content-type': 'application/vnd.sqlite3',
      'content-disposition': `attachment; filename="dist-exec-${stamp}.db"`,
      'cache-control': 'no-store',
    });
    const stream = createReadStream(file);
    stream.once('close', cleanUp);
    stream.pipe(res);
  });
}
