#!/usr/bin/env node
import { Command } from 'commander';
import { CliContext, describeCliError, EXIT_DIST_EXEC_ERROR, type GlobalFlags } from './context.js';
import { registerCancel } from './commands/cancel.js';
import { registerCluster } from './commands/cluster.js';
import { registerList } from './commands/list.js';
import { registerLogs } from './commands/logs.js';
import { registerNodes } from './commands/nodes.js';
import { registerRun } from './commands/run.js';
import { registerSimulate } from './commands/simulate.js';
import { registerStatus } from './commands/status.js';
import { registerToken } from './commands/token.js';
import { registerUp } from './commands/up.js';
import { registerWait } from './commands/wait.js';

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
  .showHelpAfterError('(add --help for usage)');

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
registerUp(program);
registerSimulate(program);

try {
  await program.parseAsync();
} catch (error) {
  const ctx = context as CliContext | null;
  const master =
    ctx?.masterAddress ??
    program.opts<{ master?: string }>().master ??
    process.env.DIST_EXEC_MASTER ??
    'localhost:50051';
  process.stderr.write(`dist-exec: ${describeCliError(error, master, ctx?.tokenSource)}\n`);
  process.exitCode = program.args[0] === 'run' || program.args[0] === 'wait' ? EXIT_DIST_EXEC_ERROR : 1;
} finally {
  (context as CliContext | null)?.close();
}
