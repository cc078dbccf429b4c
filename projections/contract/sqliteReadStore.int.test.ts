import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { propertyRuns } from '../../testing/propertyRuns.ts';
import { scratchDir } from '../../testing/tempEventStore.ts';
import { sqliteFacade } from './readStoreFacade.ts';
import { readStoreContract } from './readStoreContract.ts';

const dir = scratchDir('contract-sqlite');
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// SQLite against itself: the ops, builds, checkpoints and replay halves of the contract (the reference is trivially equal).
readStoreContract('sqlite', async () => sqliteFacade(join(dir, `read-${n++}.db`)), { numRuns: Math.max(50, Math.floor(propertyRuns / 4)) });
