// Worker bootstrap for sources run through tsx (shared/worker-module.ts, startWorker): registers tsx in this thread, as
// bin/bondgate.mjs does for the main thread, then runs the TypeScript module given as the worker's argument.
import { register } from 'tsx/esm/api';

register();
await import(process.argv[2]);
