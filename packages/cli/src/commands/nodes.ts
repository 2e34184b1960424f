import type { Command } from 'commander';
import { checkNodeId, nodeToJson, parseDuration } from '@dist-exec/core';
import { writeOut, type CliContext } from '../context.js';
import { nodesTable } from '../format.js';

export function registerNodes(program: Command, context: () => CliContext): void {
  program
    .command('nodes')
    .description('list worker nodes: state, tasks, resources and last heartbeat')
    .option('--json', 'print a JSON array')
    .action(async (flags: { json?: boolean }) => {
      const nodes = await context().client.listNodes();
      if (flags.json) await writeOut(process.stdout, `${JSON.stringify(nodes.map(nodeToJson), null, 2)}\n`);
      else if (nodes.length === 0)
        await writeOut(
          process.stdout,
          'no workers registered; start one with: dist-exec-worker --master <host:port>\n',
        );
      else await writeOut(process.stdout, `${nodesTable(nodes, Date.now())}\n`);
    });

  program
    .command('drain')
    .description('stop sending new work to a node; it finishes what it runs')
    .argument('<node>', 'node id')
    .option('--deadline <duration>', 'hand back attempts still running after this long, e.g. 1m')
    .option('--json', 'print the node as JSON')
    .action(async (node: string, flags: { deadline?: string; json?: boolean }) => {
      const deadlineMs = flags.deadline ? parseDuration(flags.deadline, '--deadline') : 0;
      const info = await context().client.drainNode(checkNodeId(node, 'node'), { deadlineMs });
      await writeOut(
        process.stdout,
        flags.json
          ? `${JSON.stringify(nodeToJson(info), null, 2)}\n`
          : `draining ${info.id} (${info.activeTasks} tasks running)\n`,
      );
    });

  program
    .command('undrain')
    .description('return a drained node to service')
    .argument('<node>', 'node id')
    .option('--json', 'print the node as JSON')
    .action(async (node: string, flags: { json?: boolean }) => {
      const info = await context().client.undrainNode(checkNodeId(node, 'node'));
      await writeOut(
        process.stdout,
        flags.json ? `${JSON.stringify(nodeToJson(info), null, 2)}\n` : `${info.id} is back in service\n`,
      );
    });
}
