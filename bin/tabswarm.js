#!/usr/bin/env node
// `npx tabswarm …`: runs the TypeScript CLI (node-peer/cli.ts) through tsx, a dependency, so no build step.
import { register } from 'tsx/esm/api';

register();
await import('../node-peer/cli.ts');
