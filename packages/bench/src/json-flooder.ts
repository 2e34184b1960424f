// A client of its own (a process apart from the one that measures): sends
// `bodies` POSTs of JSON nested `depth` deep to the master's HTTP port at
// once (presenting `token`, when given), and prints one JSON line when all are answered:
// {"ms": <time>, "statuses": [...]}.
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';

const [port, bodies, depth] = process.argv.slice(2, 5).map(Number) as [number, number, number];
const token = process.argv[5] ?? '';
const body = Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`);

function post(): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v1/jobs',
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    // A connection the master dropped counts as status 0.
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

const start = performance.now();
const statuses = await Promise.all(Array.from({ length: bodies }, post));
process.stdout.write(`${JSON.stringify({ ms: performance.now() - start, statuses: [...new Set(statuses)] })}\n`);
