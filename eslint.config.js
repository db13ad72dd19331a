import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '**/dist/', '.data/', '**/test-output/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Plain scripts that run on whatever Node the machine has, before the project's is installed.
  { files: ['tools/**/*.mjs'], languageOptions: { globals: { process: 'readonly' } } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
);
