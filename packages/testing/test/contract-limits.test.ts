import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs/minimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSpecInput } from '@dist-exec/core';
import { decodeFieldViolations, PROTO_DIR, STATUS_DETAILS_KEY, withBearerToken } from '@dist-exec/proto';
import { httpRequest, runCli, startTestCluster, until, type TestCluster } from '@dist-exec/testing';

// A client from the .proto files with grpc-js's defaults, as another language's would be: it takes
// at most 4 MiB per message, where the SDK (CHANNEL_OPTIONS) takes 16.
const loaded = grpc.loadPackageDefinition(
  protoLoader.loadSync('distexec/v1/job_service.proto', {
    includeDirs: [PROTO_DIR],
    longs: Number,
    enums: String,
    defaults: true,
  }),
) as unknown as { distexec: { v1: { JobService: grpc.ServiceClientConstructor } } };

type Answer = Record<string, unknown>;
type Unary = (request: object, callback: (error: grpc.ServiceError | null, value: Answer) => void) => void;

function call(client: grpc.Client, method: string, request: object): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const invoke = (client as unknown as Record<string, Unary>)[method] as Unary;
    invoke.call(client, request, (error, value) => (error ? reject(error) : resolve(value)));
  });
}

/** Sends hand-made bytes as a JobService request: the only way to send strings that are not UTF-8. */
function callRaw(client: grpc.Client, method: string, bytes: Uint8Array): Promise<grpc.ServiceError | null> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      `/distexec.v1.JobService/${method}`,
      (value: Uint8Array) => Buffer.from(value),
      (value: Buffer) => value,
      bytes,
      (error) => resolve(error),
    );
  });
}

const field = (writer: protobuf.Writer, number: number, value: Uint8Array | string): protobuf.Writer =>
  typeof value === 'string'
    ? writer.uint32((number << 3) | 2).string(value)
    : writer.uint32((number << 3) | 2).bytes(value);
const message = (build: (writer: protobuf.Writer) => void): Uint8Array => {
  const writer = protobuf.Writer.create();
  build(writer);
  return writer.finish();
};
const NOT_UTF8 = Buffer.from([0x65, 0x63, 0x68, 0x6f, 0x20, 0xff, 0xfe]); // "echo " and two bytes no UTF-8 text has
const MiB = 1024 * 1024;

function violations(error: grpc.ServiceError | null): { field: string; description: string }[] {
  const details = error?.metadata.get(STATUS_DETAILS_KEY)[0];
  return details instanceof Buffer ? decodeFieldViolations(details) : [];
}

describe('the contract holds at its limits', () => {
  let cluster: TestCluster;
  let plain: grpc.Client;

  beforeAll(async () => {
    cluster = await startTestCluster({
      workers: 1,
      master: { outputLimitBytes: 3 * MiB, httpPort: 0 },
      // The http task below asks the master's /healthz for a status: loopback is denied to http tasks unless let in.
      worker: { httpAllow: ['127.0.0.1'] },
    });
    // As any gRPC client presents a token: authorization metadata on every call.
    plain = new loaded.distexec.v1.JobService(
      cluster.address,
      grpc.credentials.createInsecure(),
      withBearerToken({}, cluster.adminToken),
    );
  });
  afterAll(async () => {
    plain?.close();
    await cluster?.stop();
  });

  it('refuses strings that are not UTF-8, naming the field by its .proto path, and stores nothing', async () => {
    const before = (await cluster.client.listJobs()).totalCount;
    const command = await callRaw(
      plain,
      'SubmitJob',
      message((w) =>
        field(
          w,
          1,
          message((spec) => field(spec, 2, NOT_UTF8)),
        ),
      ),
    );
    expect(command).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringMatching(/^spec\.command: not valid UTF-8/),
    });
    expect(violations(command)).toEqual([{ field: 'spec.command', description: expect.stringMatching(/^not valid/) }]);

    const argv = await callRaw(
      plain,
      'RunJob',
      message((w) =>
        field(
          w,
          1,
          message((spec) => field(field(spec, 3, 'echo'), 3, NOT_UTF8)),
        ),
      ),
    );
    expect(argv?.details).toMatch(/^spec\.argv\[1\]: not valid UTF-8/);

    const env = await callRaw(
      plain,
      'SubmitJob',
      message((w) =>
        field(
          w,
          1,
          message((spec) =>
            field(
              field(spec, 2, 'env'),
              4,
              message((entry) => field(field(entry, 1, 'NAME'), 2, NOT_UTF8)),
            ),
          ),
        ),
      ),
    );
    expect(env?.details).toMatch(/^spec\.env: not valid UTF-8/);

    const bulk = await callRaw(
      plain,
      'SubmitJobs',
      message((w) =>
        field(
          field(
            w,
            1,
            message((spec) => field(spec, 2, 'true')),
          ),
          1,
          message((s) => field(s, 2, NOT_UTF8)),
        ),
      ),
    );
    expect(violations(bulk)).toEqual([{ field: 'specs[1].command', description: expect.any(String) }]);
    // The HTTP API's JSON too.
    const http = await httpRequest(`http://127.0.0.1:${cluster.master.httpPort}/api/v1/jobs`, {
      token: cluster.adminToken,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.concat([Buffer.from('{"command": "'), NOT_UTF8, Buffer.from('"}')]),
    });
    expect(http.status).toBe(400);
    expect(http.text).toMatch(/not valid UTF-8/);
    expect((await cluster.client.listJobs()).totalCount).toBe(before);
  });

  it('names every invalid argument by its .proto path, in the message and as a google.rpc.BadRequest', async () => {
    const error = await call(plain, 'SubmitJobs', {
      specs: [{ command: 'true' }, { command: 'true', timeoutMs: 30 * 24 * 3_600_000 }],
    }).catch((e: grpc.ServiceError) => e);
    expect(error).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    expect((error as grpc.ServiceError).details).toMatch(/^specs\[1\]\.timeout_ms: \d+ms is out of range/);
    expect(violations(error as grpc.ServiceError)).toEqual([
      { field: 'specs[1].timeout_ms', description: expect.stringMatching(/is out of range/) },
    ]);
    // The SDK reads the field back from the details.
    await expect(cluster.client.submit({ command: 'true', maxRetries: 1000 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'spec.max_retries',
    });
  });

  it('pages large jobs within what a default client takes, and dist-exec list --limit 1000 shows them all', async () => {
    // Twelve jobs of 1 MiB each (stdin at its limit): a page of 50 would be 12 MiB.
    const stdin = new Uint8Array(MiB).fill(0x61);
    const ids = await cluster.client.submitManyIds(
      Array.from({ length: 12 }, (_, i) => ({
        command: 'cat >/dev/null',
        stdin,
        labels: { batch: 'large' },
        constraints: { never: `matches-${i}` },
      })),
    );
    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await call(plain, 'ListJobs', { pageSize: 200, pageToken, states: ['JOB_STATE_PENDING'] });
      const jobs = page.jobs as { id: string }[];
      expect(jobs.length).toBeGreaterThan(0);
      seen.push(...jobs.map((job) => job.id));
      pageToken = page.nextPageToken as string;
      pages += 1;
    } while (pageToken);
    expect(pages).toBeGreaterThanOrEqual(4);
    expect(seen).toEqual([...ids].reverse());

    const listed = await runCli(['list', '--json', '--limit', '1000', '--state', 'pending'], {
      DIST_EXEC_MASTER: cluster.address,
      DIST_EXEC_TOKEN: cluster.adminToken,
    });
    expect(listed.stderr).toBe('');
    expect((JSON.parse(listed.stdout.toString()) as { id: string }[]).map((job) => job.id)).toEqual([...ids].reverse());
    for (const id of ids) await cluster.client.cancel(id);
  });

  it('refuses, before storing anything, a SubmitJobs whose whole jobs would not fit in an answer', async () => {
    const before = (await cluster.client.listJobs()).totalCount;
    const stdin = new Uint8Array(MiB).fill(0x62);
    const specs = Array.from({ length: 5 }, () => ({ command: 'cat >/dev/null', stdin, constraints: { never: 'x' } }));
    const error = await call(plain, 'SubmitJobs', { specs }).catch((e: grpc.ServiceError) => e);
    expect(error).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringMatching(/^ids_only: the answer with 5 whole jobs could be 5\.\d MiB.*Nothing was stored$/),
    });
    expect((await cluster.client.listJobs()).totalCount).toBe(before);
    const ids = await call(plain, 'SubmitJobs', { specs, idsOnly: true });
    expect(ids.ids).toHaveLength(5);
    for (const id of ids.ids as string[]) await cluster.client.cancel(id);
  });

  it('answers GetJob with as much output as fits, counting the rest as dropped; WatchJob has it all', async () => {
    const { job } = await cluster.client.submit({
      command: 'head -c 3145728 /dev/zero | tr "\\0" o; head -c 3145728 /dev/zero | tr "\\0" e >&2',
    });
    await cluster.client.waitForJob(job.id);
    const answer = await call(plain, 'GetJob', { id: job.id, includeOutput: true });
    const stdout = (answer.stdout as Buffer).length;
    const stderr = (answer.stderr as Buffer).length;
    expect(stdout + stderr).toBeGreaterThan(3 * MiB);
    expect(stdout + stderr).toBeLessThan(4 * MiB);
    expect(Number(answer.stdoutDroppedBytes) + stdout).toBe(3 * MiB);
    expect(Number(answer.stderrDroppedBytes) + stderr).toBe(3 * MiB);
    let streamed = 0;
    for await (const event of cluster.client.watch(job.id, { follow: false }))
      if (event.type === 'output') streamed += event.chunk.data.length;
    expect(streamed).toBe(6 * MiB);
  });

  it('keeps exit_code as the .proto says: the status of an http task, 128+signal on timeout, unset on cancel', async () => {
    const url = `http://127.0.0.1:${cluster.master.httpPort}/healthz`;
    const [ok, unexpected, timedOut] = await Promise.all(
      (
        [
          { type: 'http', http: { url, method: 'GET', headers: {}, body: new Uint8Array(0), expectedStatus: [] } },
          { type: 'http', http: { url, method: 'GET', headers: {}, body: new Uint8Array(0), expectedStatus: [204] } },
          { command: 'sleep 30', timeoutMs: 300 },
        ] satisfies JobSpecInput[]
      ).map(async (spec) => cluster.client.waitForJob((await cluster.client.submit(spec)).job.id)),
    );
    expect(ok).toMatchObject({ state: 'COMPLETED', exitCode: 200 });
    expect(unexpected).toMatchObject({ state: 'FAILED', reason: 'EXIT_CODE', exitCode: 200 });
    expect(timedOut).toMatchObject({ state: 'FAILED', reason: 'TIMEOUT', exitCode: 143 });

    const { job } = await cluster.client.submit({ command: 'sleep 30' });
    await until(async () => (await cluster.client.getJob(job.id)).startedAtMs !== null);
    await cluster.client.cancel(job.id);
    const cancelled = await cluster.client.waitForJob(job.id);
    expect(cancelled).toMatchObject({ state: 'CANCELLED', exitCode: null });
    expect(cancelled.attemptHistory[0]).toMatchObject({ reason: 'CANCELLED', exitCode: null });
  });
});
