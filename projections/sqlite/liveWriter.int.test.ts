import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchDir } from '../../testing/tempEventStore.ts';
import { historyProjection } from '../history/historyProjection.ts';
import { put, type Write } from '../write.ts';
import { createLiveWriter } from './liveWriter.ts';
import { createSqliteReadStore, type BuildBatch } from './sqliteReadStore.ts';

const dir = scratchDir('live-writer');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const message = (seq: number): Write =>
  put('messages', { chat_id: 'c', seq, message_id: `m${seq}`, sender_id: 'ann', client_msg_id: `k${seq}`, message_type: 'text', content: 'hi', media_id: null, reply_to: null, timestamp: 't', edited_at: null, deleted: 0 });

const setup = async (minIntervalMs: number) => {
  const path = join(dir, `read-${n++}.db`);
  const readStore = createSqliteReadStore(path);
  const build = readStore.createBuild(historyProjection);
  readStore.markLive('history', build);
  const writer = createLiveWriter({ readStore, path, minIntervalMs });
  await writer.up;
  let seq = 0;
  const batch = (count = 5): BuildBatch[] => [{ name: 'history', build, writes: Array.from({ length: count }, () => message(++seq)), checkpoint: BigInt(seq) }];
  const seqs = () => readStore.db.prepare(`SELECT seq FROM "${readStore.table('history', 'messages')}" ORDER BY seq`).pluck().all() as number[];
  return { readStore, build, writer, batch, seqs, sent: () => seq };
};

describe('the live read-model writer thread', () => {
  it('commits batches on the worker, in order, each promise once its batch is in the file, paced by the interval', async () => {
    const s = await setup(30);
    expect(s.writer.onWorker()).toBe(true);
    const started = performance.now();
    const commits = [s.writer.applyBatch(s.batch()), s.writer.applyBatch(s.batch()), s.writer.applyBatch(s.batch())];
    expect(commits.every((c) => c instanceof Promise)).toBe(true);
    await commits[0];
    expect(s.seqs().length).toBeGreaterThanOrEqual(5);
    await Promise.all(commits);
    // Three sends, at least 30 ms apart.
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect(s.seqs()).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(s.readStore.builds()[0]!.checkpoint).toBe(15n);
    await s.writer.close();
    s.readStore.close();
  });

  it('after a failed batch, it and every later batch are refused and the main thread writes from then on', async () => {
    const s = await setup(0);
    await s.writer.applyBatch(s.batch());
    const bad: BuildBatch[] = [{ name: 'history', build: s.build, writes: [put('no_such_table', { a: 1 })], checkpoint: 999n }];
    const outcomes = await Promise.allSettled([s.writer.applyBatch(bad), s.writer.applyBatch(s.batch())]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(s.seqs()).toHaveLength(5);
    expect(s.writer.onWorker()).toBe(false);
    expect(s.writer.applyBatch(s.batch(3))).toBeUndefined(); // applied synchronously, here
    expect(s.seqs()).toHaveLength(8);
    await s.writer.close();
    s.readStore.close();
  });

  it('close commits what was sent before it stops the worker', async () => {
    const s = await setup(20);
    const commits = [s.writer.applyBatch(s.batch()), s.writer.applyBatch(s.batch())];
    await s.writer.close();
    await Promise.all(commits);
    expect(s.seqs()).toHaveLength(10);
    expect(s.writer.onWorker()).toBe(false);
    s.readStore.close();
  });
});
