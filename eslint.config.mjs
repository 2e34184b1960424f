// Lint, run by `npm run check` (and so by `npm test` and CI). Few rules, each one guarding a boundary or a bug
// class the compiler does not see: promises nobody awaits or catches, imports that would keep a type-only
// module alive at run time, deep imports that go around a package's index, and a focused test left behind.
import { readFileSync } from 'node:fs';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;
const workspaces = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')).workspaces;
const packageDirs = workspaces.map((path) => path.split('/').pop());

const packageBoundaries = [
  {
    // Each package is imported through its index (its package.json "exports" has only ".").
    regex: '^@dist-exec/[^/]+/',
    message: 'import the package itself (@dist-exec/<name>), not a file inside it',
  },
  {
    regex: `^(\\.\\./)+(${packageDirs.join('|')})/`,
    message: 'another package is imported by its name (@dist-exec/<name>), not by a relative path',
  },
];

const nodeEntryWriter = {
  group: ['**/node-record.js'],
  importNames: ['NodeEntry'],
  message: 'only the NodeRegistry writes node records; read them as NodeRecord and change them through it',
};

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'packages/proto/src/generated/**', 'bench-results/**', 'coverage/**'],
  },
  {
    files: ['packages/*/src/**/*.ts', 'packages/*/test/**/*.ts', 'vitest.config.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        project: ['./packages/*/tsconfig.json', './tsconfig.test.json'],
        tsconfigRootDir: root,
      },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // `import { type A }` still loads the module under verbatimModuleSyntax; `import type { A }` does not.
      '@typescript-eslint/no-import-type-side-effects': 'error',
      'no-restricted-imports': ['error', { patterns: packageBoundaries }],
    },
  },
  {
    // The node registry is the one writer of node records: only it holds them as the writable NodeEntry.
    files: ['packages/master/src/**/*.ts'],
    ignores: ['packages/master/src/nodes/registry.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...packageBoundaries, nodeEntryWriter] }],
    },
  },
  {
    // The HTTP adapter gets narrow ports from master.ts (see http/routes.ts), never the Master itself.
    files: ['packages/master/src/http/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...packageBoundaries,
            nodeEntryWriter,
            {
              group: ['../master.js'],
              message: 'routes get narrow ports (MasterRoutesOptions in http/routes.ts), built once in master.ts',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/*/test/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['describe', 'it', 'test'].map((object) => ({
          object,
          property: 'only',
          message: 'a focused test skips the rest of the suite; remove .only before committing',
        })),
      ],
    },
  },
);
