// Worker bootstrap: load the TypeScript worker through tsx, as bin/bondgate.mjs does for the main thread.
import { register } from 'tsx/esm/api';

register();
await import('./strength-worker.ts');
