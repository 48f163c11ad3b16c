// Lint rules, including the architecture's boundaries:
// - src/core never imports electron or any host (main, preload, renderer, cli): it runs under plain Node;
// - src/renderer imports only *types* from src/core and nothing from Node or Electron;
// - the CLI never imports electron; nobody writes to the console (use the logger);
// - src/core has no import cycle; the kernel imports no domain; no domain imports the composition root
//   (compose.ts), the host entry (index.ts) or the contract (contract.ts).
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const HOSTS = ['**/main/**', '**/preload/**', '**/renderer/**', '**/cli/**'];
const ROOT = ['**/compose.js', '**/compose.ts', '**/core/index.js', '../index.js', './index.js', '**/contract.js'];
/** src/core's import restrictions (never electron, never a host), plus `extra` patterns for one layer. */
function coreImports(...extra) {
  return [
    'error',
    {
      paths: [{ name: 'electron', message: 'src/core runs under plain Node: never import electron.' }],
      patterns: [{ group: HOSTS, message: 'src/core must not depend on a host.' }, ...extra],
    },
  ];
}
const DOMAINS = [
  'library',
  'tracks',
  'status',
  'model',
  'analysis',
  'labels',
  'tags',
  'playlists',
  'filetags',
  'settings',
  'jobs',
  'audio',
  'media',
];

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
      // A measurement script run in its own folder with both schema libraries (see its README).
      'docs/decisions/schema-bench/**',
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
      'no-restricted-imports': coreImports(),
    },
  },
  {
    files: ['src/core/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
      'import-x/resolver-next': [
        importX.createNodeResolver({ extensions: ['.ts', '.js', '.mjs', '.json'], extensionAlias: { '.js': ['.ts', '.js'] } }),
      ],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    files: DOMAINS.map((d) => `src/core/${d}/**`),
    rules: {
      'no-restricted-imports': coreImports({
        group: ROOT,
        message: 'A domain gets its dependencies from the composition root; it never imports it.',
      }),
    },
  },
  {
    files: ['src/core/kernel/**'],
    rules: {
      'no-restricted-imports': coreImports({
        group: ['../*', '!../kernel'],
        message: 'The kernel is the bottom layer: it imports no domain.',
      }),
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
