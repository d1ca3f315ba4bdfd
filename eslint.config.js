import stylistic from '@stylistic/eslint-plugin';
import tseslint from 'typescript-eslint';

/**
 * Lint is mostly about the architecture's dependency rule: a layer imports only layers to its right, and only
 * through that layer's index.ts. Deep or upward imports fail the build.
 */
const layerRule = (forbidden, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: forbidden, message }] }],
});

const deepImports = [
  '**/backoffice-layer/*/**',
  '**/journey-layer/*/**',
  '**/channel-layer/*/**',
  '!**/*-layer/index.js',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.omnihub/**', 'coverage/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Prettier formats at 110 columns but breaks neither strings nor comments: this holds those to 110 too.
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.mjs'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@stylistic': stylistic },
    rules: { '@stylistic/max-len': ['error', { code: 110, tabWidth: 2 }] },
  },
  {
    files: ['shared/**/*.ts'],
    rules: layerRule(
      ['**/backoffice-layer/**', '**/journey-layer/**', '**/channel-layer/**'],
      'shared/ holds no business rules and imports no layer',
    ),
  },
  {
    files: ['backoffice-layer/**/*.ts'],
    rules: layerRule(
      ['**/journey-layer/**', '**/channel-layer/**', ...['**/shared/*/**']],
      'backoffice-layer imports only shared/index.js (and nothing above it)',
    ),
  },
  {
    files: ['journey-layer/**/*.ts'],
    rules: layerRule(
      ['**/channel-layer/**', '**/backoffice-layer/*/**', '**/shared/*/**'],
      'journey-layer imports only backoffice-layer/index.js and shared/index.js',
    ),
  },
  {
    files: ['channel-layer/**/*.ts'],
    rules: layerRule(
      ['**/backoffice-layer/*/**', '**/journey-layer/*/**', '**/shared/*/**'],
      'channel-layer imports other layers only through their index.js',
    ),
  },
  {
    files: ['bin/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    rules: layerRule(deepImports, 'import layers only through their index.js'),
  },
  { files: ['tests/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
