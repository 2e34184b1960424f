import type { DistExecClient, JobView } from '@dist-exec/client';
import {
  checkIdFragment,
  describeSpec,
  InvalidArgumentError,
  isDistExecError,
  isJobId,
  NotFoundError,
  type JobState,
} from '@dist-exec/core';
import { shorten } from '../format.js';
import { ARRAY_ID_LABEL } from './job-set.js';

/** Candidates an ambiguous short id lists. */
const CANDIDATES = 5;
/** Jobs per ListJobs page when collecting the unfinished jobs of an array or a label. */
const PAGE = 1000;

/**
 * A job id as a person gives it: whole, or any unique start or end of one
 * (`7f3a`, the end the dashboard shows, or the start, which is the submit
 * time). The master finds the candidates from its indexes (ListJobs'
 * id_fragment); an ambiguous piece lists them.
 */
export async function resolveJobId(client: DistExecClient, text: string, field = 'id'): Promise<string> {
  if (isJobId(text.trim())) return text.trim().toLowerCase();
  const fragment = checkIdFragment(text, field);
  const { jobs } = await client.listJobs({ idFragment: fragment, pageSize: CANDIDATES + 1 });
  const [only] = jobs;
  if (jobs.length === 1 && only) return only.id;
  if (jobs.length === 0) throw new NotFoundError(`no job id starts or ends with "${fragment}"`);
  const listed = jobs
    .slice(0, CANDIDATES)
    .map((job) => `${job.id} (${job.state}, ${shorten(describeSpec(job.spec), 30)})`)
    .join(', ');
  const more = jobs.length > CANDIDATES ? ' and more' : '';
  throw new InvalidArgumentError(
    `${field}: "${fragment}" is the start or end of several jobs' ids: ${listed}${more}; give more of it`,
    { field },
  );
}

/** Resolves many ids (each may be short), in order, each once. */
export async function resolveJobIds(client: DistExecClient, texts: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const text of texts) ids.push(await resolveJobId(client, text));
  return [...new Set(ids)];
}

/**
 * The id of the array `text` names: the array's own id (the
 * `dist-exec.array` label, $DIST_EXEC_ARRAY_ID), or the id of any of its
 * jobs, whole or short.
 */
export async function resolveArrayId(client: DistExecClient, text: string): Promise<string> {
  let job: JobView | null = null;
  try {
    job = await client.getJob(await resolveJobId(client, text, '--array'), { output: false });
  } catch (error) {
    // A whole UUID that is no job's id: the array's own id.
    if (isDistExecError(error) && error.code === 'NOT_FOUND' && isJobId(text.trim())) return text.trim().toLowerCase();
    throw error;
  }
  const array = job.spec.labels[ARRAY_ID_LABEL];
  if (!array) throw new InvalidArgumentError(`--array: job ${job.id} is not part of an array`, { field: '--array' });
  return array;
}

/**
 * The unfinished (PENDING or RUNNING) jobs carrying every one of `labels`.
 * ListJobs has no label filter: this pages through the unfinished jobs
 * only, never the history.
 */
export async function unfinishedJobsWithLabels(
  client: DistExecClient,
  labels: Readonly<Record<string, string>>,
): Promise<JobView[]> {
  const states: JobState[] = ['PENDING', 'RUNNING'];
  const found: JobView[] = [];
  let pageToken = '';
  do {
    const page = await client.listJobs({ states, pageSize: PAGE, pageToken });
    for (const job of page.jobs)
      if (Object.entries(labels).every(([key, value]) => job.spec.labels[key] === value)) found.push(job);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return found;
}
