import type { AppendResult } from '../eventStore.ts';
import type { AppendRequest } from './appendRequest.ts';
import type { GroupCommitStats } from './groupCommit.ts';
import type { Synchronous } from './openDatabase.ts';
import type { TransferableError } from './transferableError.ts';

/** Messages between the store (main thread) and its commit worker. */
export type CommitWorkerOpen = { path: string; synchronous: Synchronous; busyTimeoutMs: number };
export type CommitBatch = { id: number; requests: AppendRequest[] };
export type CommitSettled = { ok: true; result: AppendResult } | { ok: false; error: TransferableError };
/**
 * The answer to a batch: each append's outcome, and which of them wrote (by first
 * position; an idempotent repeat answers an earlier one's) at what commit time. The main
 * thread rebuilds the recorded events from its own requests: cloning them back cost more.
 */
export type CommitBatchDone = { id: number; settled: CommitSettled[]; writtenFirstPositions: bigint[]; committedAt: number; stats: GroupCommitStats };
