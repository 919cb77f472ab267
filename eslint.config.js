import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The layer rules of DESIGN §10: `layer` may not import (statically, as a type, or with `import()`) from
 * the folders in `forbidden`, reached by any number of `../`.
 */
function layerRule(forbidden, why) {
  const regex = `^(\\.\\./)+(${forbidden.join('|')})/`;
  const message = `${why} (DESIGN §10)`;
  return {
    'no-restricted-imports': ['error', { patterns: [{ regex, message }] }],
    // esquery's regular expressions end at the first slash: `\x2F` stands for it.
    'no-restricted-syntax': [
      'error',
      { selector: `ImportExpression > Literal[value=/${regex.replaceAll('/', '\\x2F')}/]`, message },
    ],
  };
}

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
      'scripts/test-lanes.mjs',
      'drizzle.config.ts',
      'bin/**',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['src/{collect,dedup,extract,score,report,deliver}/**/*.{ts,tsx}'],
    rules: layerRule(
      ['pipeline', 'jobs', 'web', 'cli'],
      'A stage imports db/queries, config types and shared helpers, never pipeline/, jobs/, web/ or cli/',
    ),
  },
  {
    files: ['src/pipeline/**/*.ts'],
    rules: layerRule(
      ['jobs', 'web', 'cli'],
      'pipeline/ declares the queue interface it needs (pipeline/queue.ts) and never imports jobs/, web/ or cli/',
    ),
  },
  {
    files: ['bin/**', 'scripts/**', '**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
      },
    },
  },
  {
    // The console's browser scripts (served as they are, no build step).
    files: ['src/web/static/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser } },
  },
);
