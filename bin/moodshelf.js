#!/usr/bin/env node
// The `moodshelf` command. The CLI is TypeScript run through tsx, so it works straight after
// `npm install` with no build step, on the Node build of better-sqlite3.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/bin.ts');
