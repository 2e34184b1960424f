/**
 * Tools nobody on the team wrote, for tests that use dist-exec the way
 * another language or an operator would: the buf CLI (a devDependency, from
 * npm), Debian's python3 with grpcio and protobuf, and protoc with the gRPC
 * Python plugin. .ci/run installs the Debian ones; outside CI a test that
 * needs a missing one skips (see toolsRequired()).
 */
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PROTO_DIR } from '@dist-exec/proto';

export const PYTHON = '/usr/bin/python3';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end (never throws for a non-zero exit), with a deadline. */
export function runTool(
  program: string,
  args: readonly string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(
      program,
      [...args],
      {
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, ...options.env },
        ...(options.cwd ? { cwd: options.cwd } : {}),
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/** The buf CLI from the @bufbuild/buf devDependency (its binary ships inside an npm package). */
export function bufPath(): string {
  return createRequire(import.meta.url).resolve('@bufbuild/buf/bin/buf');
}

/** True when Debian's python3 sees grpcio and protobuf (python3-grpcio, python3-protobuf). */
export function pythonGrpcAvailable(): boolean {
  if (!existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ['-c', 'import grpc, google.protobuf'], { stdio: 'ignore' }).status === 0;
}

/** protoc and the gRPC Python plugin (protobuf-compiler, protobuf-compiler-grpc), or null. */
export function protocTools(): { protoc: string; grpcPythonPlugin: string } | null {
  const find = (name: string): string | null =>
    ['/usr/bin', '/usr/local/bin'].map((dir) => join(dir, name)).find((path) => existsSync(path)) ?? null;
  const protoc = find('protoc');
  const grpcPythonPlugin = find('grpc_python_plugin');
  return protoc && grpcPythonPlugin ? { protoc, grpcPythonPlugin } : null;
}

/**
 * Generates Python messages and stubs for every file in proto/ into a new
 * temporary directory, as a user of another language would
 * (`protoc --python_out --grpc_python_out`), and returns it. The standard
 * files in proto/grpc/ are generated under `dist_exec_std/`, because a
 * top-level `grpc/` would hide the grpc library itself.
 */
export async function generatePythonStubs(): Promise<string> {
  const tools = protocTools();
  if (!tools) throw new Error('protoc and grpc_python_plugin are not installed (protobuf-compiler-grpc)');
  const out = mkdtempSync(join(tmpdir(), 'dist-exec-python-'));
  const ours = readdirSync(join(PROTO_DIR, 'distexec/v1')).map((file) => `distexec/v1/${file}`);
  const protoc = (includeDir: string, files: string[]): Promise<ToolResult> =>
    runTool(tools.protoc, [
      `--plugin=protoc-gen-grpc_python=${tools.grpcPythonPlugin}`,
      `-I${includeDir}`,
      `--python_out=${out}`,
      `--grpc_python_out=${out}`,
      ...files,
    ]);
  const std = join(out, 'std-protos', 'dist_exec_std');
  mkdirSync(std, { recursive: true });
  copyFileSync(join(PROTO_DIR, 'grpc/reflection/v1/reflection.proto'), join(std, 'reflection.proto'));
  copyFileSync(join(PROTO_DIR, 'grpc/health/v1/health.proto'), join(std, 'health.proto'));
  for (const result of [
    await protoc(PROTO_DIR, ours),
    await protoc(dirname(std), ['dist_exec_std/reflection.proto', 'dist_exec_std/health.proto']),
  ]) {
    if (result.code !== 0) throw new Error(`protoc failed: ${result.stderr}`);
  }
  return out;
}
