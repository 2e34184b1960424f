/**
 * The text after each command's `--help`: examples a person can copy, and
 * what the exit status means, so a script knows what to test for.
 */
import type { Command } from 'commander';

/** Exit statuses of the commands that only talk to the master (status, list, cancel, nodes, …). */
export const PLAIN_EXITS: readonly (readonly [string, string])[] = [
  ['0', 'done'],
  ['1', 'bad input, an unknown job, or the master refused or could not be reached (one line on stderr says which)'],
];

/** Exit statuses of `run` and `wait`, as `timeout(1)` and `docker run` use them. */
export const JOB_EXITS: readonly (readonly [string, string])[] = [
  ['0', 'the job completed (every job, for an array or several ids)'],
  ['1-123', "the job's own exit code (for several jobs: the highest status of any)"],
  ['124', 'the job timed out'],
  ['125', 'dist-exec could not run it: bad input, the master unreachable, the job failed to start or lost its worker'],
  ['130', 'the job was cancelled (Ctrl-C, or dist-exec cancel)'],
];

/** Adds "Examples:" and "Exit status:" sections to a command's --help. */
export function addHelp(
  command: Command,
  examples: readonly string[],
  exits: readonly (readonly [string, string])[] = PLAIN_EXITS,
): Command {
  const width = Math.max(...exits.map(([code]) => code.length));
  const text = [
    '',
    'Examples:',
    ...examples.map((line) => `  ${line}`),
    '',
    'Exit status:',
    ...exits.map(([code, meaning]) => `  ${code.padEnd(width)}  ${meaning}`),
    '',
  ].join('\n');
  return command.addHelpText('after', text);
}
