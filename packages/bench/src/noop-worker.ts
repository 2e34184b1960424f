#!/usr/bin/env node
// A real worker process that offers only the benchmark's no-op executor
// (dispatch-throughput). Started by the benchmark, never by users:
//   node noop-worker.js --master host:port --id ID --max-tasks N [--token-file F] [--auth none]
import { parseArgs } from 'node:util';
import { readTokenFile } from '@dist-exec/runtime';
import { MemoryNodeSecret, Worker } from '@dist-exec/worker';
import { NoopExecutor } from './noop-executor.js';

const { values } = parseArgs({
  options: {
    master: { type: 'string' },
    id: { type: 'string' },
    'max-tasks': { type: 'string', default: '64' },
    'token-file': { type: 'string' },
    auth: { type: 'string', default: 'tokens' },
  },
});
const worker = new Worker(
  {
    masterAddress: values.master,
    host: '127.0.0.1',
    port: 0,
    ...(values.id ? { id: values.id } : {}),
    maxTasks: Number(values['max-tasks']),
    ...(values['token-file'] ? { token: readTokenFile(values['token-file']) } : {}),
    auth: values.auth === 'none' ? 'none' : 'tokens',
  },
  // Its node secret lives as long as the benchmark's process: no state dir in the repository.
  { executors: [new NoopExecutor()], nodeSecrets: new MemoryNodeSecret() },
);
process.on('SIGTERM', () => {
  worker.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
await worker.start();
