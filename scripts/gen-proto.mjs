// Regenerates packages/proto/src/generated from proto/. The flags must match
// LOADER_OPTIONS in packages/proto/src/index.ts.
//
// With --check (npm run check) it generates into a temporary folder instead and
// fails, naming the files, when the committed folder differs: the generated
// types must always match the .proto files they came from.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const committed = join(root, 'packages/proto/src/generated');
const check = process.argv.includes('--check');
const out = check ? mkdtempSync(join(tmpdir(), 'dist-exec-gen-proto-')) : committed;
const protos = readdirSync(`${root}/proto/distexec/v1`)
  .filter((f) => f.endsWith('.proto'))
  .map((f) => `distexec/v1/${f}`);

rmSync(out, { recursive: true, force: true });
// The binary itself, not `npx`: quicker, and no npm warnings in `npm run check`.
execFileSync(
  join(root, 'node_modules/.bin/proto-loader-gen-types'),
  [
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

if (check) {
  const differ = compare(out, committed);
  rmSync(out, { recursive: true, force: true });
  if (differ.length > 0) {
    console.error(
      `packages/proto/src/generated does not match proto/ (${differ.join(', ')}); run npm run gen:proto and commit the result`,
    );
    process.exit(1);
  }
}

/** Paths (relative to the folders) that exist in only one of them or differ in content. */
function compare(fresh, kept) {
  const files = (dir) =>
    new Set(
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1)),
    );
  const a = files(fresh);
  const b = files(kept);
  const differ = [];
  for (const file of new Set([...a, ...b])) {
    if (!a.has(file) || !b.has(file) || !readFileSync(join(fresh, file)).equals(readFileSync(join(kept, file)))) {
      differ.push(file);
    }
  }
  return differ.sort();
}
