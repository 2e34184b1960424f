// Fails when the source files of the packages import each other in a circle,
// type-only imports included (a cycle of types is still two boxes that cannot
// be understood one without the other). Run by `npm run check`.
import { parseCircular, parseDependencyTree } from 'dpdm';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Imports left out of the check, as [issuer, dependency] regexps, each with the
 * reason it is still there. Keep this list short, and empty it.
 */
const ALLOWED = [
  // The HTTP routes take the whole Master; issue 14 gives them narrow dependencies (next slice).
  ['packages/master/src/http/routes\\.ts', 'packages/master/src/master\\.ts'],
];

const tree = await parseDependencyTree('packages/*/src/**/*.ts', {
  cwd: root,
  context: root,
  transform: false,
  // Source files only: an import of another package stops at its built index (project references
  // already forbid cycles between packages; this finds them between the files of one).
  include: /\/packages\/[^/]+\/src\//,
});
const cycles = parseCircular(tree, false, ALLOWED);
if (cycles.length > 0) {
  for (const cycle of cycles) console.error(`import cycle: ${[...cycle, cycle[0]].join(' -> ')}`);
  console.error(`${cycles.length} import cycle(s); break each by moving what both sides need into a file of its own`);
  process.exit(1);
}
