import type { TableSpec } from '../projection.ts';
import type { EncodedBatch } from './batchCodec.ts';

/** How the writer opens the file: `bulk` writes without syncs (a load from scratch, see bulkLoad.ts). */
export type WriterOpen = { path: string; bulk: boolean };

/** Main thread → writer worker. Messages are handled one at a time, in order. */
export type ToWriter =
  | { type: 'batch'; id: number; batch: EncodedBatch }
  /** Build these indexes (none on an early stop), then close the connection. */
  | { type: 'finish'; indexes: { name: string; build: number; tables: Record<string, TableSpec> }[] };

/** Writer worker → main thread. */
export type FromWriter =
  | { type: 'ready' }
  | { type: 'committed'; id: number }
  /** This batch and every later one were not applied. */
  | { type: 'failed'; id: number; error: string }
  | { type: 'finished'; error?: string };
