// ESLint's recommended rules and typescript-eslint's, for the TypeScript sources.
import js from '@eslint/js';
import tseslint from '@typescript-eslint/eslint-plugin';

export default [
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs['flat/recommended'],
];
