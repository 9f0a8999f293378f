// The linter (DEVELOPERS.md, "Lint and layers"): ESLint's and typescript-eslint's recommended rules everywhere,
// and the promise rules, which need type information, over src/.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // worker-configuration.d.ts is generated (`npm run types`).
  { ignores: ['dist/', 'packages/*/dist/', '.wrangler/', 'test-output/', 'worker-configuration.d.ts'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    // Type-aware rules over src/ only, all of it in the root tsconfig's one program (SDK and CLI included):
    // type information costs about a full type check, and over the tests and the bench as well the lint
    // would take twice as long.
    files: ['src/**/*.ts'],
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // A promise nobody awaits loses its rejection: await it, return it, or mark it `void` on purpose.
      // blockConcurrencyWhile in an object's constructor is Cloudflare's idiom: the runtime holds every event until it settles.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: '@cloudflare/workers-types', name: 'blockConcurrencyWhile' },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    // The server logs through its one logger, src/log.ts (JSON lines with a level and fields: docs/operations.md,
    // "Logs"). The SDK and the CLI are clients: the CLI prints to its terminal, and the SDK logs nothing by default.
    files: ['src/**/*.ts'],
    ignores: ['src/log.ts', 'src/sdk/**', 'src/cli/**'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: globals.node },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      // Declaration merging (`interface Env extends FlaremqEnv {}`) is how ambient types are extended.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
      // `let` stays where a closure reads the variable before its one assignment, or where one name of a
      // destructuring is reassigned.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true, destructuring: 'all' }],
    },
  },
  {
    // Tests read JSON answers and object internals whose shape their assertions check.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
