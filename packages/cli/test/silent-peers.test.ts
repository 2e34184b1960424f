import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROGRAMS,
  runCli,
  startMasterProcess,
  startTestCluster,
  startWorkerProcess,
  until,
  type TestCluster,
} from '@dist-exec/testing';

// Real peers that are not a working master: the CLI must say what is wrong, in one line, and never hang.
describe('the CLI against peers that are not a working master', () => {
  let cluster: TestCluster;
  let silent: Server;
  const sockets = new Set<Socket>();
  let silentAddress: string;
  let other: grpc.Server;
  let otherAddress: string;

  beforeAll(async () => {
    cluster = await startTestCluster({ workers: 1, master: { httpPort: 0 } });
    // Accepts TCP connections and never says a word.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentAddress = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    // Another team's gRPC service, with standard health checking.
    other = new grpc.Server();
    new HealthImplementation({ '': 'SERVING', 'example.v1.Greeter': 'SERVING' }).addToServer(other);
    const port = await new Promise<number>((resolve, reject) =>
      other.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    otherAddress = `127.0.0.1:${port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    silent?.close();
    other?.forceShutdown();
    await cluster?.stop();
  });

  const cli = (address: string, args: string[]) =>
    runCli(['--master', address, '--connect-timeout', '2s', ...args], {}, args[0] === 'wait' ? '' : undefined);

  it('gives up on a peer that accepts the connection and says nothing, within --connect-timeout', async () => {
    const id = '01a2074a-7067-75c4-ab32-9e32b258f0dd';
    const started = Date.now();
    const results = await Promise.all([
      cli(silentAddress, ['run', 'true']),
      cli(silentAddress, ['wait', id]),
      cli(silentAddress, ['logs', '--follow', id]),
      cli(silentAddress, ['list']),
    ]);
    // 2s each, at once; well under the minutes they used to hang for, with room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(30_000);
    for (const result of results) {
      expect(result.stderr).toBe(
        `dist-exec: ${silentAddress} sent nothing within 2s of connecting: is the master stopped or hung, ` +
          'or is this port not a gRPC server? (--connect-timeout)\n',
      );
    }
    expect(results.map((r) => r.code)).toEqual([125, 125, 1, 1]);
  });

  it('names a plain HTTP port, a worker and another gRPC service for what they are', async () => {
    const http = `127.0.0.1:${cluster.master.httpPort}`;
    const worker = cluster.master.nodes.list()[0]!.address;
    const [onHttp, onWorker, onOther, listOnWorker] = await Promise.all([
      cli(http, ['run', 'true']),
      cli(worker, ['run', 'true']),
      cli(otherAddress, ['run', 'true']),
      cli(worker, ['list']),
    ]);
    expect(onHttp.stderr).toBe(
      `dist-exec: ${http} is not a gRPC server (is this the master's --http-port? ` +
        'the gRPC port is its --port, 50051 by default)\n',
    );
    const notMaster = `dist-exec: ${worker} is a dist-exec worker, not a master: give the master's address (the one the workers' --master names)\n`;
    expect(onWorker.stderr).toBe(notMaster);
    expect(listOnWorker.stderr).toBe(notMaster);
    expect(onOther.stderr).toBe(
      `dist-exec: the server at ${otherAddress} does not serve distexec.v1.JobService: ` +
        "is it the dist-exec master's gRPC address?\n",
    );
    expect([onHttp.code, onWorker.code, onOther.code]).toEqual([125, 125, 125]);
  });

  it('refuses a --connect-timeout that is not a duration', async () => {
    const result = await runCli(['--connect-timeout', 'soon', 'list'], { DIST_EXEC_MASTER: cluster.address });
    expect(result.stderr).toMatch(/^dist-exec: --connect-timeout: "soon" is not a duration/);
  });
});

describe('logs --follow when the master goes silent', () => {
  it('says so within the connect timeout, then resumes without a gap or a repeat once it answers again', async () => {
    const master = await startMasterProcess();
    const worker = await startWorkerProcess(master);
    try {
      const submitted = await runCli([
        '--master',
        master.address,
        '--token-file',
        master.tokenFile,
        'run',
        '--detach',
        'for i in $(seq 1 60); do echo line-$i; sleep 0.1; done',
      ]);
      const id = submitted.stdout.toString().trim();
      const logs = spawn(
        process.execPath,
        [
          PROGRAMS.cli,
          '--master',
          master.address,
          '--token-file',
          master.tokenFile,
          '--connect-timeout',
          '2s',
          'logs',
          '-f',
          id,
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      logs.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      logs.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => logs.once('close', resolve));
      await until(() => stdout.includes('line-3\n'));

      master.process.kill('SIGSTOP');
      const stoppedAt = Date.now();
      await until(() => stderr.includes('keepalive'), { timeoutMs: 30_000, message: 'the notice of a silent master' });
      // Keepalive pings every 5s at the least, answered within half the connect timeout.
      expect(Date.now() - stoppedAt).toBeLessThan(15_000);
      expect(stderr).toMatch(
        new RegExp(
          `^dist-exec: lost the connection to the master at ${master.address} \\(it went away, or stopped ` +
            'answering keepalive pings\\); resuming from byte \\d+\n$',
        ),
      );
      master.process.kill('SIGCONT');

      expect(await exited).toBe(0);
      expect(stdout).toBe(Array.from({ length: 60 }, (_, i) => `line-${i + 1}\n`).join(''));
    } finally {
      master.process.kill('SIGCONT');
      worker.kill('SIGKILL');
      master.kill('SIGKILL');
      await Promise.all([worker.exited, master.exited]);
    }
  });
});
