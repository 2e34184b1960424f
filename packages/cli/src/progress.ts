import { escapeControls, formatDuration } from '@dist-exec/core';
/** Redraws at most this often, so a fast stream of updates costs nothing visible. */
const REDRAW_EVERY_MS = 100;
const BAR_WIDTH = 24;

/**
 * One line of a progress bar: `label [#####·····] 512/1,000 51% note`; on a
 * terminal too narrow for all of it, the bar goes first (the counts and the
 * note say more), then the end of the line.
 */
export function renderProgress(label: string, done: number, total: number, note: string, columns: number): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * BAR_WIDTH);
  const count = `${done.toLocaleString('en')}/${total.toLocaleString('en')}`;
  const rest = `${count} ${Math.floor(fraction * 100)}%${note ? ` ${note}` : ''}`;
  const line = `${label} [${'#'.repeat(filled)}${'·'.repeat(BAR_WIDTH - filled)}] ${rest}`;
  if (line.length < columns) return line;
  const barless = `${label} ${rest}`;
  return barless.length < columns ? barless : barless.slice(0, Math.max(0, columns - 1));
}

/** What a set of jobs is doing, for the note after the bar. */
export interface SetProgress {
  running: number;
  pending: number;
  failed: number;
  done: number;
  total: number;
  elapsedMs: number;
}

/**
 * `18 running, 62 pending, 1m20s elapsed, ETA 53s, 2 failed`, as GNU
 * parallel's `--bar --eta`: the estimate is the average time per finished
 * job so far times the jobs left (none until one has finished).
 */
export function progressNote(p: SetProgress): string {
  const left = p.total - p.done;
  const eta = p.done > 0 && left > 0 ? `, ETA ${formatDuration((p.elapsedMs / p.done) * left)}` : '';
  const failed = p.failed ? `, ${p.failed} failed` : '';
  return `${p.running} running, ${p.pending} pending, ${formatDuration(p.elapsedMs)} elapsed${eta}${failed}`;
}

export interface ProgressOptions {
  stream: NodeJS.WriteStream;
  label: string;
  total: number;
  /** Milliseconds now (injected for tests). @default Date.now */
  now?: () => number;
}

/**
 * A one-line progress bar on a terminal (stderr); does nothing when the
 * stream is not a TTY, so pipes and log files never see control characters.
 */
export class ProgressBar {
  readonly #options: ProgressOptions;
  readonly #now: () => number;
  readonly #enabled: boolean;
  #done = 0;
  #note = '';
  #drawnAt = -Infinity;
  #shown = false;

  constructor(options: ProgressOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#enabled = options.stream.isTTY === true;
  }

  /** Whether the bar is drawn at all (stderr is a terminal). */
  get enabled(): boolean {
    return this.#enabled;
  }

  update(done: number, note = ''): void {
    this.#done = done;
    this.#note = note;
    if (!this.#enabled) return;
    const now = this.#now();
    if (done < this.#options.total && now - this.#drawnAt < REDRAW_EVERY_MS) return;
    this.#drawnAt = now;
    this.#draw();
  }

  /** Writes a whole line above the bar (a failed job, a warning) without tearing it; its control characters escaped. */
  log(text: string): void {
    if (this.#shown) this.#options.stream.write('\r\x1b[K');
    this.#options.stream.write(`${escapeControls(text.endsWith('\n') ? text.slice(0, -1) : text)}\n`);
    if (this.#shown) this.#draw();
  }

  /** Runs `write` (output to the same terminal) with the bar removed, then draws it again. */
  async around(write: () => Promise<void>): Promise<void> {
    const shown = this.#shown;
    this.clear();
    await write();
    if (shown) this.#draw();
  }

  /** Removes the bar, leaving the cursor at the start of an empty line. */
  clear(): void {
    if (!this.#shown) return;
    this.#options.stream.write('\r\x1b[K');
    this.#shown = false;
  }

  #draw(): void {
    const { stream, label, total } = this.#options;
    stream.write(`\r\x1b[K${renderProgress(label, this.#done, total, this.#note, stream.columns || 80)}`);
    this.#shown = true;
  }
}
