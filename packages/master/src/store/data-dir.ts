import { closeSync, constants, openSync, statfsSync, statSync } from 'node:fs';
import { formatBytes } from '@dist-exec/core';

/**
 * The sqlite store's data dir as the file system sees it: the room left on
 * it, whether its files can be written before the master relies on them, and
 * whether the files the master holds open are still the ones at their paths.
 */

/** Least free space on the data dir's file system for the master to start. @default 256 MiB */
export const DEFAULT_MIN_FREE_SPACE_BYTES = 256 * 1024 * 1024;

/** Bytes an unprivileged writer may still use on the file system holding `path`; null when it cannot be told. */
export function freeBytes(path: string): number | null {
  try {
    const stats = statfsSync(path);
    return stats.bavail * stats.bsize;
  } catch {
    return null;
  }
}

/** `0 bytes free`, `12Mi free`, or '' when unknown. */
export function describeFree(bytes: number | null): string {
  if (bytes === null) return '';
  return `${bytes === 0 ? '0 bytes' : formatBytes(bytes)} free`;
}

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : '';
}

/**
 * Why the existing `file` cannot be opened for writing ('' when it can, or
 * does not exist yet). Opening it is the test: the permission bits do not
 * tell root's story, nor an immutable file's.
 */
export function unwritableReason(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDWR);
  } catch (error) {
    const code = codeOf(error);
    if (code === 'ENOENT') return '';
    return code || String(error);
  }
  closeSync(fd);
  return '';
}

/** What became of a file the store holds open. */
export type FileChange = 'missing' | 'replaced';

interface Identity {
  dev: number;
  ino: number;
}

function identityOf(path: string): Identity | 'missing' {
  try {
    const stats = statSync(path);
    return stats.nlink === 0 ? 'missing' : { dev: stats.dev, ino: stats.ino };
  } catch (error) {
    if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return 'missing';
    throw error;
  }
}

/**
 * The files a store holds open, by path and identity (device and inode).
 * A file deleted or replaced under an open descriptor takes every later
 * write with it: writes still succeed, into a file nobody will open again.
 * So the store looks before and after each commit (a few microseconds) and
 * on a timer, and acknowledges nothing once a file is not the one it opened.
 */
export class HeldFiles {
  readonly #held = new Map<string, Identity>();

  /** Remembers what is at these paths now (the files just opened). */
  remember(paths: readonly string[]): void {
    this.#held.clear();
    for (const path of paths) {
      const identity = identityOf(path);
      if (identity !== 'missing') this.#held.set(path, identity);
    }
  }

  /** The first held file that is gone or is another file now, or null when all are as opened. */
  changed(): { path: string; change: FileChange } | null {
    for (const [path, held] of this.#held) {
      const now = identityOf(path);
      if (now === 'missing') return { path, change: 'missing' };
      if (now.ino !== held.ino || now.dev !== held.dev) return { path, change: 'replaced' };
    }
    return null;
  }

  /** What is at `path` compared with the file held there: as held, missing, or replaced. */
  state(path: string): FileChange | 'held' {
    const held = this.#held.get(path);
    const now = identityOf(path);
    if (now === 'missing') return 'missing';
    return held && held.ino === now.ino && held.dev === now.dev ? 'held' : 'replaced';
  }
}
