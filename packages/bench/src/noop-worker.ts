#!/usr/bin/env node
// A real worker process that offers only the benchmark's no-op executor
// (dispatch-throughput). Started by the benchmark, never by users:
//   node noop-worker.js --master host:port --id ID --max-tasks N
import { parseArgs } from 'node:util';
import { Worker } from '@dist-exec/worker';
import { NoopExecutor } from './noop-executor.js';

const { values } = parseArgs({
  options: { master: { type: 'string' }, id: { type: 'string' }, 'max-tasks': { type: 'string', default: '64' } },
});
const worker = new Worker(
  {
    masterAddress: values.master,
    host: '127.0.0.1',
    port: 0,
    ...(values.id ? { id: values.id } : {}),
    maxTasks: Number(values['max-tasks']),
  },
  { executors: [new NoopExecutor()] },
);
process.on('SIGTERM', () => {
  worker.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
await worker.start();
