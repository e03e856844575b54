// Lint holds the architecture's boundaries (research-style.md habit 6): the pure core imports nothing with I/O,
// workflows import only the core, Temporal's workflow API and activity *types*, and the edges never import each other.
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'http', 'https', 'net', 'child_process', 'crypto', 'os', 'url', 'stream'];
const restrict = (patterns, message) => ({ group: patterns, message });

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', '.tools/', 'web/dist/', 'bench/results/', 'eslint.config.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  {
    files: ['patterns/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            restrict(nodeBuiltins, 'patterns/ is the pure core: no Node built-ins.'),
            restrict(
              ['@temporalio/*', 'mongodb', 'fastify', '@fastify/*', 'ws', 'pino'],
              'patterns/ is the pure core: no I/O libraries.',
            ),
            restrict(
              ['**/workflows/**', '**/activities/**', '**/gateway/**', '**/store/**', '**/bin/**'],
              'patterns/ imports only patterns/.',
            ),
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Time is an input (ctx.now).' },
        { object: 'Math', property: 'random', message: 'Randomness is an input (ctx.newId).' },
      ],
      'no-restricted-globals': ['error', 'process', 'setTimeout', 'setInterval', 'fetch'],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: '../patterns', message: 'Import the interpreter entry, ../patterns/thred-machine.' }],
          patterns: [
            restrict(nodeBuiltins, 'Workflow code runs in the deterministic sandbox: no Node built-ins.'),
            restrict(
              ['@temporalio/activity', '@temporalio/client', '@temporalio/worker', 'mongodb', 'fastify', 'ws', 'pino'],
              'Workflows only sequence: no I/O.',
            ),
            restrict(
              ['**/gateway/**', '**/store/**', '**/bin/**'],
              'Workflows import patterns/ and activity types only.',
            ),
            {
              group: ['**/activities/**'],
              allowTypeImports: true,
              message: 'Import activity types only (import type).',
            },
            {
              group: ['**/patterns/**', '!**/patterns/thred-machine'],
              allowTypeImports: true,
              message:
                'Workflows import the interpreter entry (patterns/thred-machine) only: the rest of patterns/ (TypeBox, validation) would be bundled into every cached thred.',
            },
            {
              group: ['**/telemetry/**', '!**/telemetry/trace-context', '!**/telemetry/sinks'],
              message: 'Workflows report through sinks: of telemetry/, only the pure trace-context and the sink types.',
            },
          ],
        },
      ],
    },
  },
  {
    // Bundled into the workflow: as deterministic as workflow code.
    files: ['telemetry/trace-context.ts', 'telemetry/sinks.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            restrict(nodeBuiltins, 'Bundled into workflows: no Node built-ins.'),
            restrict(
              ['@opentelemetry/*', 'prom-client', 'pino', '@temporalio/worker', '@temporalio/client'],
              'Bundled into workflows: no I/O.',
            ),
            restrict(
              ['**/gateway/**', '**/store/**', '**/bin/**', '**/activities/**'],
              'Bundled into workflows: pure helpers only.',
            ),
          ],
        },
      ],
    },
  },
  {
    files: ['activities/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            restrict(
              ['**/gateway/**', '**/bin/**'],
              'activities/ and gateway/ never import each other; share through store/.',
            ),
            { group: ['**/workflows/**'], allowTypeImports: true, message: 'Activities import workflow types only.' },
          ],
        },
      ],
    },
  },
  {
    files: ['gateway/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            restrict(
              ['**/activities/**', '**/bin/**'],
              'gateway/ and activities/ never import each other; share through store/.',
            ),
            restrict(
              ['**/workflows/thred', '**/workflows/thred.ts'],
              'The gateway talks to threds through workflows/messages.ts only.',
            ),
          ],
        },
      ],
    },
  },
  {
    files: ['store/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            restrict(
              ['**/workflows/**', '**/gateway/**', '**/activities/**', '**/bin/**'],
              'store/ is shared below the edges.',
            ),
          ],
        },
      ],
    },
  },
);
