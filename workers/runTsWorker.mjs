// Worker entry for TypeScript modules: registers tsx in the worker (a worker does not
// inherit the parent's loader hooks), then imports the module named in workerData.entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
