import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';

/** The simulator program of this installation (a sibling package: the CLI does not import master or worker code). */
function simulatorPath(): string {
  const path = fileURLToPath(new URL('../../../simulator/dist/main.js', import.meta.url));
  if (!existsSync(path))
    throw new Error(`cannot find the simulator at ${path}; run npm install (or npm run build) first`);
  return path;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('scale-test the master: many simulated nodes, jobs and crashes (flags: dist-exec simulate --help)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (_options: unknown, command: Command) => {
      // Flags belong to dist-exec-simulate, which validates them and prints its own help.
      const args = [...command.args];
      const { master, token, tokenFile } = program.opts<{ master?: string; token?: string; tokenFile?: string }>();
      if (master) args.push('--master', master);
      if (tokenFile) args.push('--token-file', tokenFile);
      // A token given on our command line reaches the simulator through its environment, not its arguments.
      const env = token ? { ...process.env, DIST_EXEC_TOKEN: token } : process.env;
      const child = spawn(process.execPath, [simulatorPath(), ...args], { stdio: 'inherit', env });
      // Ctrl-C reaches the simulator too (same process group); it stops and prints its summary, and we wait for it.
      const forward = (signal: NodeJS.Signals): void => {
        if (signal !== 'SIGINT') child.kill(signal);
      };
      process.on('SIGINT', forward);
      process.on('SIGTERM', forward);
      const code = await new Promise<number>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal === 'SIGINT' ? 130 : 1)));
      });
      process.exitCode = code;
    });
}
