import type { TableSpec } from '../projection.ts';
import type { EncodedBatch } from './batchCodec.ts';

/** Main thread → bulk-load worker. Messages are handled one at a time, in order. */
export type ToBulkLoadWorker =
  | { type: 'batch'; id: number; batch: EncodedBatch }
  /** Build these indexes (none on an early stop), then close the connection. */
  | { type: 'finish'; indexes: { name: string; build: number; tables: Record<string, TableSpec> }[] };

/** Bulk-load worker → main thread. */
export type FromBulkLoadWorker =
  | { type: 'ready' }
  | { type: 'committed'; id: number }
  /** This batch and every later one were not applied. */
  | { type: 'failed'; id: number; error: string }
  | { type: 'finished'; error?: string };
