import { describeSpec, type Job, type JobState } from '@dist-exec/core';
import type { Store } from './store.js';

/**
 * Finding jobs by what a person remembers of them: words of the command, a
 * label, the node that ran them. No index answers these, so the search is a
 * bounded scan: it walks the history newest first through the store's own
 * paging (its state index, at most `SCAN_CHUNK` jobs a read, the event loop
 * free between reads) and stops after `maxScanned` jobs, saying where it stopped.
 * A caller pages on from `nextPageToken`; nothing ever reads the whole history
 * at once. (Ids are found by the stores' id indexes: `findJobsByIdFragment`.)
 */
export interface JobSearch {
  /** Any state when empty. */
  states: readonly JobState[];
  /** Case-insensitive piece of the command (as `describeSpec` prints it); '' = any. */
  text: string;
  /** Every one of these labels, with these values. */
  labels: Readonly<Record<string, string>>;
  /** Jobs with an attempt on this node; '' = any. */
  nodeId: string;
  /** At most this many matches. */
  pageSize: number;
  /** Where a previous search stopped ('' = the newest job). */
  pageToken: string;
  /** Stop after looking at this many jobs. @default DEFAULT_MAX_SCANNED */
  maxScanned?: number;
}

export interface JobSearchPage {
  /** Matches, newest first. */
  jobs: Job[];
  /** Where to go on from ('' = the history was searched to its start). */
  nextPageToken: string;
  /** How many jobs the search looked at. */
  scanned: number;
  /** The scan stopped at `maxScanned`, not at a full page or the end of the history. */
  truncated: boolean;
}

export const DEFAULT_MAX_SCANNED = 5_000;
/** Jobs per read of the store, at most: reads start at twice the page (a page that fills at once reads little) and double. */
export const SCAN_CHUNK = 500;
const FIRST_CHUNK_MIN = 100;

/** Whether one job matches the search's filters (states aside, which the store applies). */
export function jobMatches(job: Job, search: Pick<JobSearch, 'text' | 'labels' | 'nodeId'>): boolean {
  for (const [key, value] of Object.entries(search.labels)) if (job.spec.labels[key] !== value) return false;
  if (search.nodeId && !job.attemptHistory.some((a) => a.nodeId === search.nodeId)) return false;
  return !search.text || describeSpec(job.spec).toLowerCase().includes(search.text.toLowerCase());
}

/** The search, as a bounded scan over `store.listJobs` (see JobSearch). */
export async function searchJobs(store: Pick<Store, 'listJobs'>, search: JobSearch): Promise<JobSearchPage> {
  const maxScanned = search.maxScanned ?? DEFAULT_MAX_SCANNED;
  const jobs: Job[] = [];
  let token = search.pageToken;
  let scanned = 0;
  let size = Math.min(SCAN_CHUNK, Math.max(FIRST_CHUNK_MIN, search.pageSize * 2));
  for (;;) {
    const chunk = Math.min(size, maxScanned - scanned);
    size = Math.min(SCAN_CHUNK, size * 2);
    const page = await store.listJobs({ states: search.states, pageSize: chunk, pageToken: token });
    for (const [i, job] of page.jobs.entries()) {
      if (!jobMatches(job, search)) continue;
      jobs.push(job);
      if (jobs.length === search.pageSize) {
        const more = i < page.jobs.length - 1 || page.nextPageToken !== '';
        return { jobs, nextPageToken: more ? String(job.seq) : '', scanned: scanned + i + 1, truncated: false };
      }
    }
    scanned += page.jobs.length;
    token = page.nextPageToken;
    if (!token) return { jobs, nextPageToken: '', scanned, truncated: false };
    if (scanned >= maxScanned) return { jobs, nextPageToken: token, scanned, truncated: true };
  }
}
