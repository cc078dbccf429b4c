// Worker entry for TypeScript modules: a worker does not inherit the parent's loader
// hooks, so register tsx here, then import the module named in workerData.entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
