#!/usr/bin/env node
// The `threds` CLI entry: registers tsx so the TypeScript sources run without a build step.
import { register } from 'tsx/esm/api';

register();
await import('./threds.ts');
