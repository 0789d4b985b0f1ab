// @ts-check
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      'node_modules/',
      'cdk.out/',
      'dashboard/dist/',
      'client/dist/',
      'bench/results/',
      'coverage/',
      '.ci/node/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Type-aware rules (typescript-eslint's project service): promises and exhaustive switches.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  // Outside functions/, code reaches it by its package.json subpath (#routes, #core/…, #api/…), never ../functions/.
  {
    files: ['{bin,lib,local,bench,cli,test}/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+functions/',
              message: 'Import through the package.json subpath (#routes, #core/…).',
            },
          ],
        },
      ],
    },
  },
  // Browser code: TypeScript (DOM lib) already checks every global, which no-undef cannot see.
  { files: ['dashboard/**/*.{ts,tsx}', 'test/unit/dashboard/**/*.{ts,tsx}'], rules: { 'no-undef': 'off' } },
  // Plain JavaScript config files are not part of the TypeScript project.
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], extends: [tseslint.configs.disableTypeChecked] },
  // CommonJS config files (.dependency-cruiser.cjs).
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { module: 'writable' } } },
);
