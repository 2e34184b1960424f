import { constants } from 'node:os';

/**
 * Signals a whole process group (the job's shell and every child it forked),
 * so that no child outlives its job. The job runs as a group leader
 * (`detached: true`), so its pgid is its pid.
 */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    // ESRCH: the group is already gone.
    return false;
  }
}

/** The shell convention for a process killed by a signal: 128 + its number. */
export function exitCodeForSignal(signal: string): number {
  const number = (constants.signals as Record<string, number>)[signal];
  return number === undefined ? 128 : 128 + number;
}
