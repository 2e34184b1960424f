#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CliContext, describeCliError, EXIT_DIST_EXEC_ERROR, type GlobalFlags } from './context.js';
import { registerCancel } from './commands/cancel.js';
import { registerCluster } from './commands/cluster.js';
import { registerList } from './commands/list.js';
import { registerLogs } from './commands/logs.js';
import { registerNodes } from './commands/nodes.js';
import { registerRun } from './commands/run.js';
import { registerSimulate } from './commands/simulate.js';
import { registerStatus } from './commands/status.js';
import { registerTls } from './commands/tls.js';
import { registerToken } from './commands/token.js';
import { registerUp } from './commands/up.js';
import { registerWait } from './commands/wait.js';
import { addMissingHelp } from './help-text.js';

const program = new Command('dist-exec')
  .description('Run commands on a dist-exec cluster and manage its jobs and nodes.')
  .option('--master <host:port>', 'master gRPC address (default: $DIST_EXEC_MASTER or localhost:50051)')
  .option(
    '--connect-timeout <duration>',
    'how long to wait for the master to answer before saying it is silent (default: $DIST_EXEC_CONNECT_TIMEOUT or 10s)',
  )
  .option(
    '--token <token>',
    'token for the master (default: $DIST_EXEC_TOKEN, the file in $DIST_EXEC_TOKEN_FILE, or ./.dist-exec/admin.token)',
  )
  .option('--token-file <file>', 'file holding the token (mode 0600)')
  .option(
    '--tls-ca <file>',
    'dial the master over TLS; its certificate must be signed by this CA (default: $DIST_EXEC_TLS_CA)',
  )
  .option(
    '--tls-cert <file>',
    'client certificate for a master that requires one (default: $DIST_EXEC_TLS_CERT); also turns TLS on',
  )
  .option('--tls-key <file>', 'private key of --tls-cert (default: $DIST_EXEC_TLS_KEY)')
  .version(`dist-exec ${cliVersion()}`, '-V, --version', 'print the version and exit')
  // Commander's own errors (an unknown option, a missing argument) as one line that says what to do.
  .configureOutput({ outputError: (text, write) => write(`${usageErrorLine(text, process.argv.slice(2))}\n`) })
  // Commander throws instead of exiting: a usage error of run or wait exits 125 as their other bad input does.
  .exitOverride();

function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * `run ls -la` and `run --argv ls -la` hand `-la` to commander as an option
 * of run's: point at the two ways to pass it to the job instead.
 */
export function usageErrorLine(text: string, args: readonly string[]): string {
  const message = text
    .trim()
    .replace(/^error: /, '')
    .split('\n')
    .map((line) => line.trim())
    .join(' ');
  const command = args.find((arg) => !arg.startsWith('-'));
  const unknown = /^unknown option '(.+)'/.exec(message)?.[1];
  if (command === 'run' && unknown) {
    const hint = args.includes('--argv')
      ? 'put -- before the program so that its options are its own: dist-exec run --argv -- ls -la'
      : "quote the command: dist-exec run 'ls -la' (or use --argv -- ls -la)";
    return `dist-exec: ${unknown} is not an option of run; ${hint}`;
  }
  const help = /^unknown command/.test(message) || !command ? 'dist-exec --help' : `dist-exec ${command} --help`;
  return `dist-exec: ${message} (see ${help})`;
}

let context: CliContext | null = null;
const getContext = (): CliContext => {
  context ??= CliContext.fromEnv(program.opts<GlobalFlags>());
  return context;
};

registerRun(program, getContext);
registerStatus(program, getContext);
registerList(program, getContext);
registerLogs(program, getContext);
registerCancel(program, getContext);
registerNodes(program, getContext);
registerCluster(program, getContext);
registerWait(program, getContext);
registerToken(program, getContext);
registerTls(program);
registerUp(program);
registerSimulate(program);
addMissingHelp(program);

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof CommanderError) {
    // Already said by commander (help, the version, or a usage error through outputError).
    process.exitCode = error.exitCode === 0 ? 0 : exitStatusForError();
  } else reportError(error);
} finally {
  (context as CliContext | null)?.close();
}

function exitStatusForError(): number {
  return program.args[0] === 'run' || program.args[0] === 'wait' ? EXIT_DIST_EXEC_ERROR : 1;
}

function reportError(error: unknown): void {
  const ctx = context as CliContext | null;
  const master =
    ctx?.masterAddress ??
    program.opts<{ master?: string }>().master ??
    process.env.DIST_EXEC_MASTER ??
    'localhost:50051';
  process.stderr.write(`dist-exec: ${describeCliError(error, master, ctx?.tokenSource)}\n`);
  process.exitCode = exitStatusForError();
}
