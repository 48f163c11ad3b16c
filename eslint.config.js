// Lint rules, including the architecture's boundaries:
// - src/core never imports electron or any host (main, preload, renderer, cli): it runs under plain Node;
// - src/renderer imports only *types* from src/core and nothing from Node or Electron;
// - the CLI never imports electron; nobody writes to the console (use the logger).
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const HOSTS = ['**/main/**', '**/preload/**', '**/renderer/**', '**/cli/**'];

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'node_modules/**',
      '.native/**',
      'coverage/**',
      'test-results/**',
      'tests/fixtures/**',
      'tests/.tmp/**',
      'bench/.tmp/**',
      'training/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname, extraFileExtensions: ['.svelte'] },
    },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'src/core runs under plain Node: never import electron.' }],
          patterns: [{ group: HOSTS, message: 'src/core must not depend on a host.' }],
        },
      ],
    },
  },
  {
    files: ['src/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The CLI runs under plain Node.' }],
          patterns: [{ group: ['**/main/**', '**/preload/**', '**/renderer/**'], message: 'The CLI talks to the core only.' }],
        },
      ],
    },
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer reaches the app only through lib/bridge.ts.' }],
          patterns: [
            { group: ['**/core/**'], allowTypeImports: true, message: 'The renderer may import only types from src/core.' },
            { group: ['node:*', '**/main/**', '**/preload/**', '**/cli/**'], message: 'The renderer runs in a sandboxed page.' },
          ],
        },
      ],
    },
  },
);
