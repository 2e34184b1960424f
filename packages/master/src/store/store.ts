import type { Job, JobState, OutputChunk, TokenLimits, TokenRole } from '@dist-exec/core';
import type { ProblemListener } from './store-health.js';

export interface JobPageQuery {
  /** Any state when empty. */
  states: readonly JobState[];
  pageSize: number;
  /** Opaque token from a previous page; empty for the first page. */
  pageToken: string;
}

export interface JobPage {
  jobs: Job[];
  nextPageToken: string;
  totalCount: number;
}

/** Which finished jobs history GC deletes. */
export interface HistoryPrune {
  /** Finished jobs that ended before this time (ms since the epoch) go. */
  finishedBeforeMs: number;
  /** Beyond this many finished jobs, the ones that finished first go. Infinity = no limit. */
  keepMax: number;
  /** Delete at most this many in one call, so a large clean-up does not hold up the master. */
  limit: number;
}

/** What the master needs from storage at start. */
export interface RecoveredState {
  /** Jobs that were PENDING or RUNNING, in submit order. */
  activeJobs: Job[];
  /** The next submit sequence number. */
  nextSeq: number;
}

/** A token as stored: its SHA-256, never its secret. */
export interface StoredToken {
  name: string;
  role: TokenRole;
  /** SHA-256 of the token, hex. Identifies the row: a revoked token's name may be taken again. */
  hash: string;
  createdAtMs: number;
  expiresAtMs: number | null;
  revokedAtMs: number | null;
  lastUsedAtMs: number | null;
  /** Name of the token that created it. */
  createdBy: string;
  /** Its quotas, rate limit and command rules (kept as JSON: see token-limits-json.ts). */
  limits: TokenLimits;
}

/** Which worker holds a node id: the SHA-256 of the node secret the master issued to it. */
export interface StoredNodeClaim {
  nodeId: string;
  /** SHA-256 of the node secret, hex. */
  secretHash: string;
  /** Name of the token the worker registered with. */
  tokenName: string;
  claimedAtMs: number;
}

/** What the master needs at start to check callers: tokens (revoked ones too) and node claims. */
export interface StoredAuth {
  tokens: StoredToken[];
  nodeClaims: StoredNodeClaim[];
}

/**
 * Where the master keeps jobs and output. Writes are buffered and made durable
 * together by `flush()` (group commit), so a burst of submissions costs few
 * syncs; a caller that must not acknowledge before durability awaits `flush()`.
 * Reads see every write made before them, flushed or not.
 */
export interface Store {
  readonly kind: string;
  /** Where the data lives, for logs ('' in memory; a database URL with its password masked). */
  readonly location: string;
  /**
   * How long one batch of history GC's deletes may take, in ms, when it is
   * not DEFAULT_GC_BATCH_MS: a store whose deletes run elsewhere than the
   * master's event loop (PostgreSQL) keeps its batches short for its own sake only.
   */
  readonly gcBatchMs?: number;
  /**
   * Why writes are not being made durable now, in words a person acts on
   * (`disk full at /var/lib/dist-exec: 0 bytes free`); null when they are.
   * While it is set the master is not ready and refuses submits; the store
   * keeps trying by itself and clears it once a write succeeds again.
   */
  readonly problem: string | null;
  /** Calls `listener` each time `problem` changes. Returns a function that stops the calls. */
  watchProblem(listener: ProblemListener): () => void;
  /** Opens (creating or migrating as needed) and reads back what must be recovered. Throws when the store cannot be used. */
  open(): Promise<RecoveredState>;
  /** Insert or replace the job's row. Durable at the next flush. */
  putJob(job: Job): void;
  /** Append a chunk of a job's output log. Durable at the next flush. */
  appendOutput(jobId: string, chunk: OutputChunk): void;
  /**
   * Resolves when every write made before the call is durable. When it
   * rejects, the jobs first put since the last good commit (a submit's) are
   * not stored: the caller must treat them as never submitted. Other writes
   * are kept and made durable once the store can write again.
   */
  flush(): Promise<void>;
  /**
   * Like `flush()`, but asks for no commit of its own: resolves with the next
   * one (another caller's flush, or the lazy commit). For acknowledgements
   * nobody waits on, which should not cost a sync each.
   */
  whenDurable(): Promise<void>;
  getJob(id: string): Promise<Job | undefined>;
  findJobByIdempotencyKey(key: string): Promise<Job | undefined>;
  /**
   * The jobs of many keys at once, by key (keys without a job are absent).
   * Optional: a store without it is asked key by key. A bulk submit from the
   * SDK gives every spec a key, so this is on its path.
   */
  findJobsByIdempotencyKeys?(keys: readonly string[]): Promise<Map<string, Job>>;
  /** Newest first. */
  listJobs(query: JobPageQuery): Promise<JobPage>;
  /**
   * Jobs whose id starts or ends with `fragment` (at least MIN_ID_FRAGMENT
   * characters, checked by the caller), newest first, at most `limit`.
   * Answered from an index on the ids and one on their ends: a short id
   * never scans the history.
   */
  findJobsByIdFragment(fragment: string, limit: number): Promise<Job[]>;
  countJobs(states: readonly JobState[]): Promise<number>;
  /** Chunks covering the log from `fromOffset` on, the first one trimmed to start there. */
  readOutput(jobId: string, fromOffset: number): Promise<OutputChunk[]>;
  /**
   * Writes a consistent copy of everything stored to `destination` (a new
   * file) while the master runs. Optional: only a store with a file has one.
   */
  backup?(destination: string): Promise<void>;
  /** Deletes finished jobs (and their output) as `prune` says. Returns how many; never touches PENDING or RUNNING jobs. */
  deleteFinishedJobs(prune: HistoryPrune): Promise<number>;
  /** Tokens and node claims, read once at start (after `open`). */
  loadAuth(): Promise<StoredAuth>;
  /** Insert or replace the token's row (by hash). Durable at the next flush. */
  putToken(token: StoredToken): void;
  /** Insert or replace the node's claim. Durable at the next flush. */
  putNodeClaim(claim: StoredNodeClaim): void;
  /** The node id is free again (its worker left). Durable at the next flush. */
  deleteNodeClaim(nodeId: string): void;
  /** Commits what is buffered when it can (what it cannot is logged as lost), then lets go of the storage. */
  close(): Promise<void>;
}

/** Trims chunks so that the result starts exactly at `fromOffset`. */
export function chunksFrom(chunks: readonly OutputChunk[], fromOffset: number): OutputChunk[] {
  const out: OutputChunk[] = [];
  for (const chunk of chunks) {
    const end = chunk.offset + chunk.data.length;
    if (end <= fromOffset) continue;
    if (chunk.offset >= fromOffset) out.push(chunk);
    else out.push({ ...chunk, offset: fromOffset, data: chunk.data.subarray(fromOffset - chunk.offset) });
  }
  return out;
}
