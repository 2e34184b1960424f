// Builds the worker's native spawner (packages/worker/spawner/spawner.c) where
// a C compiler is. Without one, workers start jobs through the perl spawner
// (or directly), so a missing compiler never fails the install: it says so.
//   node scripts/build-spawner.mjs [--require]   (--require: fail without a compiler)
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = `${root}packages/worker/spawner/spawner.c`;
const target = `${root}packages/worker/spawner/bin/dist-exec-spawner`;
const required = process.argv.includes('--require');

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

if (mtime(target) >= mtime(source)) process.exit(0);
mkdirSync(`${root}packages/worker/spawner/bin`, { recursive: true });
const errors = [];
for (const cc of [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean)) {
  try {
    // Built beside the target, then moved: a worker never sees a half-written program.
    execFileSync(cc, ['-std=c11', '-O2', '-Wall', '-o', `${target}.tmp`, source], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    renameSync(`${target}.tmp`, target);
    process.exit(0);
  } catch (error) {
    errors.push(
      error.code === 'ENOENT' ? `${cc}: not found` : `${cc}: ${String(error.stderr ?? error.message).trim()}`,
    );
  }
}
process.stderr.write(
  `dist-exec: the native spawner was not built (workers will start jobs through perl instead):\n  ${errors.join('\n  ')}\n`,
);
process.exit(required ? 1 : 0);
