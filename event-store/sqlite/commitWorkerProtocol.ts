import type { AppendResult, RecordedEvent } from '../eventStore.ts';
import type { AppendRequest } from './appendRequest.ts';
import type { GroupCommitStats } from './groupCommit.ts';
import type { Synchronous } from './openDatabase.ts';
import type { TransferableError } from './transferableError.ts';

/** Messages between the store (main thread) and its commit worker. */
export type CommitWorkerOpen = { path: string; synchronous: Synchronous; busyTimeoutMs: number };
export type CommitBatch = { id: number; requests: AppendRequest[] };
export type CommitSettled = { ok: true; result: AppendResult } | { ok: false; error: TransferableError };
export type CommitBatchDone = { id: number; settled: CommitSettled[]; written: RecordedEvent[]; stats: GroupCommitStats };
