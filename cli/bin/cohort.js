#!/usr/bin/env node
// Entry for `npx cohort` and `npm run demo`: registers the TypeScript loader, then runs the CLI.
import { register } from 'tsx/esm/api';

register();
const { buildProgram } = await import('../main.ts');
await buildProgram().parseAsync(process.argv);
