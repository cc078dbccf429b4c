import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allProjections } from '../projections/allProjections.ts';
import type { MessageRow } from '../projections/messageRow.ts';
import { createSqliteQueries, historyJsonOf, type HistoryJson, type ReadQueries } from '../projections/sqlite/sqliteQueries.ts';
import { createSqliteReadStore, type SqliteReadStore } from '../projections/sqlite/sqliteReadStore.ts';
import type { Row, Write } from '../projections/write.ts';
import { propertyRuns } from '../testing/propertyRuns.ts';
import { scratchDir } from '../testing/tempEventStore.ts';

/**
 * The REST history route sends the JSON text SQLite writes (`historyJsonOf`, in
 * projections/sqlite/sqliteQueries.ts) instead of JSON.stringify of `history()`. Here both
 * answer the same rows: every field, escape, optional key, reaction and status alike.
 */

const USERS = ['ann', 'bob', 'cat', 'dan'] as const;
const STRANGER = 'zed';

const dir = scratchDir('history-json');
let store: SqliteReadStore;
let queries: ReadQueries;
let historyJson: HistoryJson;
/** Every SQL text the queries prepared. */
const prepared: string[] = [];
beforeAll(() => {
  store = createSqliteReadStore(join(dir, 'read.db'));
  for (const projection of allProjections) store.markLive(projection.name, store.createBuild(projection));
  const prepare = store.db.prepare.bind(store.db);
  store.db.prepare = ((source: string) => (prepared.push(source), prepare(source))) as typeof store.db.prepare;
  queries = createSqliteQueries(store);
  historyJson = historyJsonOf(queries)!;
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, table: string, rows: Row[]) =>
  store.applyBatch([{ name, build: store.liveBuild(name)!, writes: rows.map((row): Write => ({ op: 'put', table, row })), checkpoint: 0n }]);
const writeMessages = (rows: MessageRow[]) => write('history', 'messages', rows);

/** Text with what JSON must escape, and what it must not: controls, quotes, backslashes, U+2028, astral, a lone surrogate. */
const text = fc.string({
  unit: fc.oneof(fc.constantFrom('"', '\\', '/', '\u0000', '\b', '\t', '\n', '\f', '\r', '\u001f', '\u007f', '\u2028', 'é', '😀', '\ud800', '\ufeff'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
  maxLength: 12,
});
const id = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,8}$/);
/** Emoji keys, integer-like ones too: a JS object lists those first in numeric order, SQLite all in byte order. */
const emoji = fc.constantFrom('👍', '🎉', '+1', '1', '10', '2', 'a"b', 'ok');
const integerLike = (key: string) => /^(0|[1-9]\d*)$/.test(key);

const chatArb = fc.record({
  members: fc.subarray([...USERS], { minLength: 1 }),
  messages: fc.array(
    fc.record({
      messageId: id,
      sender: fc.constantFrom(...USERS, STRANGER),
      clientMsgId: id,
      type: fc.constantFrom('text', 'image', 'encrypted'),
      content: text,
      mediaId: fc.option(id),
      replyTo: fc.option(id),
      editedAt: fc.option(fc.constant('2025-01-02T03:04:05.678Z')),
      deleted: fc.boolean(),
      reactions: fc.uniqueArray(fc.tuple(emoji, fc.constantFrom(...USERS)), { selector: ([e, u]) => `${e}\n${u}`, maxLength: 5 }),
    }),
    { maxLength: 9 },
  ),
  watermarks: fc.array(fc.record({ user: fc.constantFrom(...USERS), delivered: fc.nat(10), read: fc.nat(10) }), { maxLength: 4 }),
  pages: fc.array(
    fc.record({ limit: fc.integer({ min: 1, max: 4 }), cursor: fc.oneof(fc.constant({}), fc.record({ before: fc.nat(11) }), fc.record({ after: fc.nat(11) })) }),
    { minLength: 1, maxLength: 4 },
  ),
});

let chats = 0;

describe('history as JSON text written by SQLite', () => {
  it('is the text JSON.stringify makes of history(), for members; null for anyone else', () => {
    fc.assert(
      fc.property(chatArb, ({ members, messages, watermarks, pages }) => {
        const chatId = `c${chats++}`;
        write('membership', 'members', members.map((u, i) => ({ chat_id: chatId, user_id: u, role: i === 0 ? 'admin' : 'member', joined_at: `t${i}`, peer_id: null })));
        writeMessages(
          messages.map((m, i) => ({
            chat_id: chatId,
            seq: i + 1,
            message_id: m.messageId,
            sender_id: m.sender,
            client_msg_id: m.clientMsgId,
            message_type: m.type,
            content: m.deleted ? '' : m.content,
            media_id: m.mediaId,
            reply_to: m.replyTo,
            timestamp: '2025-01-01T00:00:00.000Z',
            edited_at: m.editedAt,
            deleted: m.deleted ? 1 : 0,
          })),
        );
        write('history', 'reactions', messages.flatMap((m, i) => m.reactions.map(([e, u]) => ({ chat_id: chatId, seq: i + 1, emoji: e, user_id: u }))));
        write('receipts', 'watermarks', watermarks.map((w) => ({ chat_id: chatId, user_id: w.user, delivered_seq: w.delivered, read_seq: w.read })));
        const reorders = messages.some((m) => m.reactions.some(([e]) => integerLike(e)) && new Set(m.reactions.map(([e]) => e)).size > 1);

        for (const viewer of [...USERS, STRANGER] as string[])
          for (const { limit, cursor } of pages) {
            const page = { ...cursor, limit };
            const json = historyJson(chatId, viewer, page);
            if (!(members as string[]).includes(viewer)) {
              expect(json).toBeNull();
              continue;
            }
            const expected = JSON.stringify(queries.history(chatId, viewer, page));
            // A JS object puts integer-like keys first: the same JSON value, another text.
            if (reorders) expect(JSON.parse(json!)).toEqual(JSON.parse(expected));
            else expect(json).toBe(expected);
          }
      }),
      { numRuns: Math.max(100, Math.floor(propertyRuns / 2)) },
    );
  });

  it('pages a long chat both ways with has_more, limits up to 200', () => {
    const chatId = 'long';
    write('membership', 'members', [{ chat_id: chatId, user_id: 'ann', role: 'admin', joined_at: 't', peer_id: null }]);
    writeMessages(
      Array.from({ length: 450 }, (_, i) => ({
        chat_id: chatId,
        seq: i + 1,
        message_id: `m${i + 1}`,
        sender_id: i % 3 ? 'bob' : 'ann',
        client_msg_id: `c${i + 1}`,
        message_type: 'text',
        content: `message ${i + 1}`,
        media_id: null,
        reply_to: null,
        timestamp: '2025-01-01T00:00:00.000Z',
        edited_at: null,
        deleted: 0,
      })),
    );
    for (const page of [{ limit: 200 }, { limit: 200, before: 201 }, { limit: 200, after: 0 }, { limit: 200, after: 250 }, { limit: 50, before: 1 }, { limit: 1, after: 449 }]) {
      const json = historyJson(chatId, 'ann', page)!;
      expect(json).toBe(JSON.stringify(queries.history(chatId, 'ann', page)));
      const parsed = JSON.parse(json) as { messages: { seq: number }[]; has_more: boolean };
      expect(parsed.messages.length).toBeLessThanOrEqual(page.limit);
    }
    expect(JSON.parse(historyJson(chatId, 'ann', { limit: 200, after: 250 })!)).toMatchObject({ has_more: false });
    expect(JSON.parse(historyJson(chatId, 'ann', { limit: 200, before: 451 })!).has_more).toBe(true);
    expect(historyJson(chatId, 'ann', { limit: 50, before: 1 })).toBe('{"messages":[],"has_more":false}');
  });

  it('reads a page in primary-key order, through the membership row (no sort, no scan of the chat)', () => {
    historyJson('long', 'ann', { limit: 50 });
    historyJson('long', 'ann', { limit: 50, after: 10 });
    // One statement per direction and page size.
    const pageSql = prepared.filter((source) => source.includes('json_quote'));
    expect(pageSql.length).toBeGreaterThanOrEqual(2);
    for (const source of pageSql) {
      const plan = (store.db.prepare(`EXPLAIN QUERY PLAN ${source}`).all({ chat: 'long', viewer: 'ann', cursor: 5 }) as { detail: string }[]).map((r) => r.detail);
      // The seek key is the membership row's chat id: a non-member's request reads no message.
      expect(plan[0]).toMatch(/^SEARCH h USING PRIMARY KEY \(chat_id=\? AND seq[<>]\?\)$/);
      expect(plan.join('\n')).toMatch(/SCALAR SUBQUERY \d+\nSEARCH membership_\d+_members USING PRIMARY KEY \(chat_id=\? AND user_id=\?\)/);
      expect(plan.join('\n')).not.toContain('TEMP B-TREE FOR ORDER BY');
    }
  });

  it('is offered by SQLite queries only, not by a wrapper of them', () => {
    expect(historyJsonOf(queries)).toBeTypeOf('function');
    expect(historyJsonOf({ ...queries })).toBeUndefined();
  });

  it('refuses a page size that is not a positive integer (it is written into the SQL)', () => {
    expect(() => historyJson('long', 'ann', { limit: 1.5 })).toThrow(RangeError);
    expect(() => historyJson('long', 'ann', { limit: -1 })).toThrow(RangeError);
    expect(() => queries.history('long', 'ann', { limit: Number.NaN })).toThrow(RangeError);
  });
});
