// Regenerates packages/proto/src/generated from proto/. The flags must match
// LOADER_OPTIONS in packages/proto/src/index.ts.
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = 'packages/proto/src/generated';
const protos = readdirSync(`${root}/proto/distexec/v1`)
  .filter((f) => f.endsWith('.proto'))
  .map((f) => `distexec/v1/${f}`);

rmSync(`${root}/${out}`, { recursive: true, force: true });
execFileSync(
  'npx',
  [
    'proto-loader-gen-types',
    '--grpcLib=@grpc/grpc-js',
    '--longs=Number',
    '--enums=String',
    '--defaults',
    '--oneofs',
    '--importFileExtension=.js',
    '-I',
    'proto',
    '-O',
    out,
    ...protos,
  ],
  { cwd: root, stdio: 'inherit' },
);
