import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest, startMasterProcess, type MasterProcess } from '@dist-exec/testing';

/**
 * One client floods a real master's HTTP API with JSON nested a million deep
 * (2,000,000 bytes, under the 2 MiB body cap) while another asks /healthz:
 * the flood is refused at its 65th level, and the other client is answered
 * throughout. Before the nesting limit, each body cost the master most of a
 * second of CPU: 64 of them held /healthz for over 100 s and reset its
 * connection (`npm run bench -- --only json-flood` measures it).
 */

const BODIES = 32;
const DEPTH = 1_000_000;
/** Generous for a loaded 2-core machine; the stall this guards against was a hundred seconds. */
const MAX_HEALTHZ_MS = 5000;

describe('a flood of deeply nested JSON', () => {
  let master: MasterProcess;
  beforeAll(async () => {
    master = await startMasterProcess();
  });
  afterAll(async () => {
    master?.kill('SIGKILL');
    await master?.exited;
  });

  it('is refused at the 65th level while /healthz keeps answering', async () => {
    const url = (path: string): string => `http://127.0.0.1:${master.httpPort}${path}`;
    const body = Buffer.from(`${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`);
    let flooding = true;
    const flood = Promise.all(
      Array.from({ length: BODIES }, () =>
        httpRequest(url('/api/v1/jobs'), {
          method: 'POST',
          // A client that may submit: the body is read only after the token is checked.
          headers: { 'content-type': 'application/json', authorization: `Bearer ${master.token}` },
          body,
        }),
      ),
    ).finally(() => (flooding = false));
    const latencies: number[] = [];
    while (flooding || latencies.length < 20) {
      const start = performance.now();
      expect((await httpRequest(url('/healthz'))).status).toBe(200);
      latencies.push(performance.now() - start);
    }
    const answers = await flood;
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({
        error: {
          code: 'INVALID_ARGUMENT',
          message: 'the request body nests arrays and objects more than 64 deep; a job spec needs 3',
        },
      });
    }
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1] ?? NaN;
    console.info(`/healthz during the flood: p99 ${p99.toFixed(1)} ms, max ${latencies.at(-1)?.toFixed(1)} ms`);
    expect(latencies.at(-1)).toBeLessThan(MAX_HEALTHZ_MS);
  });
});
