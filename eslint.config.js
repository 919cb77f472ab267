import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules', 'data', 'dist', 'tmp-scratch', 'src/db/migrations', 'coverage', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Only src/config reads process.env.' },
      ],
    },
  },
  {
    files: [
      'src/config/**',
      'src/main.ts',
      'test/**',
      'bench/**',
      '**/*.test.ts',
      '**/*.test.tsx',
      'vitest.config.ts',
      'drizzle.config.ts',
      'bin/**',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['bin/**', 'scripts/**', '**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
  },
);
