import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'lib/**', 'node_modules/**', 'coverage/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // Small functions: one that does not fit in 80 lines (blank lines and comments aside) is two.
    files: ['src/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { module: 'writable' } } },
  {
    files: [
      'src/contract/**',
      'src/engine/**',
      'src/config/**',
      'src/transport/**',
      'src/reporters/**',
      'src/steps/**',
      'src/pipeline/**',
    ],
    rules: { 'no-restricted-imports': ['error', { patterns: ['@actions/*'] }], 'no-console': 'error' },
  },
  {
    // Text that reached a host goes to the log through src/action/log.ts only (see log-text.ts).
    files: ['src/action/**'],
    ignores: ['src/action/log.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['info', 'debug', 'notice', 'warning', 'error', 'setFailed', 'startGroup'].map((property) => ({
          object: 'core',
          property,
          message: 'Write to the log through `log` from src/action/log.ts: it flattens host text.',
        })),
      ],
    },
  },
);
