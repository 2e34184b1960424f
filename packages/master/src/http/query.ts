import { JOB_STATES, type JobState } from '@dist-exec/core';
import { HttpError } from './errors.js';

/** `?state=RUNNING,failed` → job states (any case); all states when absent. */
export function parseStateList(text: string | null): JobState[] {
  if (!text) return [];
  return text.split(',').map((raw) => {
    const state = raw.trim().toUpperCase();
    if (!(JOB_STATES as readonly string[]).includes(state)) {
      throw new HttpError(400, 'INVALID_ARGUMENT', `state: "${raw}" is not a job state; use ${JOB_STATES.join(', ')}`);
    }
    return state as JobState;
  });
}
