import type { DistExecClient, JobView } from '@dist-exec/client';

/** How often an attached `run` asks why its job still waits. */
export const WAITING_POLL_MS = 2000;
/** What the master says of a job that is next in line: not a reason to tell anyone it waits. */
const NOT_WAITING = /^queued; a node has room/;

/**
 * Says on stderr why a job waits (`waiting: unschedulable: no node has the
 * labels gpu=true`), at once when no node could ever take it, else within
 * a few seconds, and again each time the reason changes. The master
 * explains a pending job when it is read, so this polls GetJob while the
 * job is PENDING (one small call every two seconds) instead of adding
 * reason changes to the job's stream.
 */
export class WaitingNotice {
  readonly #client: DistExecClient;
  readonly #jobId: string;
  readonly #write: (line: string) => void;
  #said = '';
  #pending = true;
  #timer: NodeJS.Timeout | null = null;

  constructor(client: DistExecClient, job: JobView, write: (line: string) => void) {
    this.#client = client;
    this.#jobId = job.id;
    this.#write = write;
    if (job.pendingReason.startsWith('unschedulable')) this.#say(job.pendingReason);
    this.#pending = job.state === 'PENDING';
    this.#schedule();
  }

  /** The job's state as the stream reports it: polling stops once it leaves PENDING, and starts again on a retry. */
  update(job: Pick<JobView, 'state'>): void {
    const pending = job.state === 'PENDING';
    if (pending === this.#pending) return;
    this.#pending = pending;
    if (pending) this.#said = '';
    this.#schedule();
  }

  stop(): void {
    this.#pending = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.#pending) return;
    this.#timer = setTimeout(() => void this.#check(), WAITING_POLL_MS);
    this.#timer.unref();
  }

  async #check(): Promise<void> {
    try {
      const job = await this.#client.getJob(this.#jobId);
      if (this.#pending && job.state === 'PENDING' && job.pendingReason && !NOT_WAITING.test(job.pendingReason))
        this.#say(job.pendingReason);
    } catch {
      // The stream that watches the job says when the master is away; this only explains waits.
    }
    this.#schedule();
  }

  #say(reason: string): void {
    if (reason === this.#said) return;
    this.#said = reason;
    this.#write(`dist-exec: waiting: ${reason}\n`);
  }
}
