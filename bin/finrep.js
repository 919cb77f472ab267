#!/usr/bin/env node
// The finrep command: runs the TypeScript sources through tsx, so a fresh clone needs no build step.
// The project's tsconfig is named explicitly: finrep may be started from any directory.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../src/main.ts');
