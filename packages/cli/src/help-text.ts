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
  HELPED.add(command);
  return command.addHelpText('after', text);
}

/** Examples of the commands whose files do not add their own, by their path (`token create`). */
const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  list: ['dist-exec list', 'dist-exec list --state running,pending --limit 100', 'dist-exec list --json | jq .[].id'],
  nodes: ['dist-exec nodes', 'dist-exec nodes --json'],
  drain: ['dist-exec drain worker-2', 'dist-exec drain worker-2 --deadline 5m'],
  undrain: ['dist-exec undrain worker-2'],
  cluster: ['dist-exec cluster', 'dist-exec cluster --json'],
  token: ['dist-exec token create --role submit --name alice > alice.token', 'dist-exec token list'],
  'token create': [
    'dist-exec token create --role submit --name ci > ci.token',
    'dist-exec token create --role read --name grafana --ttl 90d',
  ],
  'token list': ['dist-exec token list', 'dist-exec token list --all --json'],
  'token revoke': ['dist-exec token revoke ci'],
  up: ['dist-exec up', 'dist-exec up --workers 2 --port 50061 --http-port 8090 --data-dir /tmp/second-cluster'],
  simulate: ['dist-exec simulate --nodes 1000'],
};

/** Adds examples and exit statuses to every command (and subcommand) that has none yet. */
export function addMissingHelp(program: Command, prefix = ''): void {
  for (const command of program.commands) {
    const path = `${prefix}${command.name()}`;
    const examples = EXAMPLES[path];
    if (examples && !HELPED.has(command)) addHelp(command, examples);
    addMissingHelp(command, `${path} `);
  }
}

const HELPED = new WeakSet<Command>();
