import type { Command } from 'commander';
import { clusterToJson, describeCluster } from '@dist-exec/core';
import { writeOut, type CliContext } from '../context.js';

export function registerCluster(program: Command, context: () => CliContext): void {
  program
    .command('cluster')
    .description(
      'show the cluster now: jobs by state, queue depth, use, and every node with its health and heartbeat age',
    )
    .option('--json', 'print JSON (as GET /api/v1/cluster)')
    .action(async (flags: { json?: boolean }) => {
      const snapshot = await context().client.getCluster();
      await writeOut(
        process.stdout,
        flags.json ? `${JSON.stringify(clusterToJson(snapshot), null, 2)}\n` : `${describeCluster(snapshot)}\n`,
      );
    });
}
