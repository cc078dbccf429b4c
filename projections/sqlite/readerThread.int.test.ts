import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchDir } from '../../testing/tempEventStore.ts';
import { allProjections } from '../allProjections.ts';
import { historyProjection } from '../history/historyProjection.ts';
import type { MessageRow } from '../messageRow.ts';
import { put } from '../write.ts';
import { jsonTextOf, SLOT_COUNT } from './jsonSlots.ts';
import { startReaderThread } from './readerThread.ts';
import { createSqliteQueries, historyJsonOf } from './sqliteQueries.ts';
import { createSqliteReadStore } from './sqliteReadStore.ts';

const dir = scratchDir('reader-thread');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (seq: number, content: string): MessageRow => ({
  chat_id: 'c',
  seq,
  message_id: `m${seq}`,
  sender_id: seq % 2 ? 'ann' : 'bob',
  client_msg_id: `k${seq}`,
  message_type: 'text',
  content,
  media_id: null,
  reply_to: null,
  timestamp: 't',
  edited_at: null,
  deleted: 0,
});

const setup = () => {
  const path = join(dir, `read-${Math.random().toString(36).slice(2)}.db`);
  const readStore = createSqliteReadStore(path);
  for (const p of allProjections) readStore.markLive(p.name, readStore.createBuild(p));
  const fill = (build: number, count: number, content: string) =>
    readStore.applyBatch([
      { name: 'history', build, checkpoint: 0n, writes: Array.from({ length: count }, (_, i) => put('messages', row(i + 1, content))) },
    ]);
  readStore.applyBatch([
    {
      name: 'membership',
      build: readStore.liveBuild('membership')!,
      checkpoint: 0n,
      writes: ['ann', 'bob'].map((u) => put('members', { chat_id: 'c', user_id: u, role: 'member', joined_at: 't', peer_id: null })),
    },
  ]);
  fill(readStore.liveBuild('history')!, 30, 'first');
  const here = historyJsonOf(createSqliteQueries(readStore))!;
  return { path, readStore, fill, here };
};

describe('the read-model reader thread', () => {
  it('answers the pages the main thread answers, members only', async () => {
    const { path, readStore, here } = setup();
    const reader = startReaderThread({ path });
    await reader.up;
    expect(reader.usable()).toBe(true);
    for (const page of [{ limit: 10 }, { limit: 7, before: 12 }, { limit: 50, after: 3 }, { limit: 1, after: 30 }])
      for (const viewer of ['ann', 'bob', 'zed']) {
        const json = await reader.historyJson(readStore.liveBuilds(), 'c', viewer, page);
        expect(json && jsonTextOf(json)).toBe(here('c', viewer, page));
        if (viewer === 'zed') expect(json).toBeNull();
      }
    expect(reader.freeSlots()).toBe(SLOT_COUNT);
    await reader.close();
    readStore.close();
  });

  it('reads the new build after a switch, and fails a request for a dropped build', async () => {
    const { path, readStore, fill } = setup();
    const reader = startReaderThread({ path });
    await reader.up;
    const before = readStore.liveBuilds();
    const text = async (live: typeof before) => jsonTextOf((await reader.historyJson(live, 'c', 'ann', { limit: 1 }))!);
    expect(await text(before)).toContain('"content":"first"');
    const old = readStore.liveBuild('history')!;
    const build = readStore.createBuild(historyProjection);
    fill(build, 30, 'second');
    readStore.markLive('history', build);
    readStore.dropBuild(historyProjection, old);
    expect(await text(readStore.liveBuilds())).toContain('"content":"second"');
    // A request sent with the layout from before the switch: its table is gone.
    await expect(reader.historyJson(before, 'c', 'ann', { limit: 1 })).rejects.toThrow(/no such table/);
    // The failed request's slot was given back.
    expect(reader.freeSlots()).toBe(SLOT_COUNT);
    await reader.close();
    readStore.close();
  });

  it('lends pages in shared memory while slots are free, then answers with text', async () => {
    const { path, readStore, here } = setup();
    const reader = startReaderThread({ path });
    await reader.up;
    const expected = here('c', 'ann', { limit: 30 });
    const answers = await Promise.all(Array.from({ length: SLOT_COUNT + 20 }, () => reader.historyJson(readStore.liveBuilds(), 'c', 'ann', { limit: 30 })));
    const lent = answers.filter((a) => typeof a === 'object' && a !== null);
    expect(lent).toHaveLength(SLOT_COUNT);
    expect(answers.filter((a) => typeof a === 'string')).toHaveLength(20);
    expect(reader.freeSlots()).toBe(0);
    for (const a of answers) expect(jsonTextOf(a!)).toBe(expected);
    expect(reader.freeSlots()).toBe(SLOT_COUNT);
    // Released twice, a slot is still given back once.
    const again = (await reader.historyJson(readStore.liveBuilds(), 'c', 'ann', { limit: 30 }))!;
    if (typeof again === 'string') throw new Error('expected a lent page');
    again.release();
    again.release();
    expect(reader.freeSlots()).toBe(SLOT_COUNT);
    await reader.close();
    readStore.close();
  });

  it('rejects what is pending when the worker stops, and is no longer usable', async () => {
    const { path, readStore } = setup();
    const reader = startReaderThread({ path });
    await reader.up;
    const pages = Array.from({ length: 500 }, () => reader.historyJson(readStore.liveBuilds(), 'c', 'ann', { limit: 30 }));
    await reader.close();
    // Every request is answered or rejected (none left hanging); those queued behind the stop are rejected.
    const settled = await Promise.allSettled(pages);
    expect(settled.some((s) => s.status === 'rejected')).toBe(true);
    for (const s of settled) if (s.status === 'fulfilled') expect(JSON.parse(jsonTextOf(s.value!)).messages).toHaveLength(30);
    expect(reader.usable()).toBe(false);
    // Slots of the rejected requests were given back; those answered, once read.
    expect(reader.freeSlots()).toBe(SLOT_COUNT);
    readStore.close();
  });
});
