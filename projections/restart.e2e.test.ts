import Database from 'better-sqlite3';
import { readWholeHistory } from '../testing/readWholeHistory.ts';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCommands } from '../commands/index.ts';
import type { EventOfType, MessageSent } from '../domain/events.ts';
import { directChatIdFor } from '../domain/ids.ts';
import { createSqliteEventStore } from '../event-store/sqlite/sqliteEventStore.ts';
import { startChildServer, type ChildServer } from '../testing/childServer.ts';
import { scratchDir } from '../testing/tempEventStore.ts';
import { allProjections } from './allProjections.ts';
import { physicalTable } from './sqlite/tableDdl.ts';

/**
 * Acceptance: kill -9 the server during projection, restart, read models are complete and
 * no event is applied twice.
 *
 * Three lives of `server/main.ts` as a child process on one data dir:
 *
 * 1. Traffic over HTTP (direct and group sends, read watermarks); SIGKILL while sends are
 *    in flight. Every acked send must survive.
 * 2. Meanwhile the log grew by a backlog the read models have not seen: another writer (this
 *    test process, through the same command handlers the server uses) appended tens of
 *    thousands of sends to the file while the server was down. The second life starts
 *    projecting that backlog; the test watches the read database from outside and SIGKILLs
 *    the server as soon as the projector has committed part of it. What this guarantees,
 *    checked after the kill from the files: the projector had applied some of the backlog
 *    and not all of it (first checkpoint < checkpoint at kill < log head), and what it had
 *    applied is exactly what its checkpoint says (the writes commit with the checkpoint).
 * 3. Restart on the same data dir. The live builds are the same builds as before (the
 *    projector resumed from its checkpoints, it did not start over), every checkpoint
 *    equals the log head, every chat's history holds exactly the acked messages with
 *    seq 1..n, and unread counts are exact for every user.
 *
 * Why watch the files rather than `lag` on /v1/admin/projections: in one process the
 * projector follows the writes within a commit, so live traffic rarely leaves a lag to
 * catch, and while the server works through a backlog it does not answer HTTP at all
 * (today the catch-up never yields to the event loop). The read database shows the
 * checkpoints whatever the server is doing.
 *
 * "Applied twice" would show as history rows beyond the checkpoint's events after the kill
 * or as a read model that disagrees with the log after the restart; the unread counts
 * are compared with counts derived from the acks and watermarks alone.
 */

const USERS = Array.from({ length: 12 }, (_, i) => `u${String(i).padStart(2, '0')}`);
const BIG_GROUP_EXTRA = Array.from({ length: 188 }, (_, i) => `m${String(i).padStart(3, '0')}`); // 200 members in all
const SMALL_GROUP = USERS.slice(1, 5);
const HTTP_SENDS_BEFORE_KILL = 1_500;
const BACKLOG_SENDS = 30_000;

type Ack = { chatId: string; seq: number; messageId: string; senderId: string; clientMsgId: string; content: string };
/** A send as attempted: direct (to receiver) or to a group. */
type Send = { senderId: string; clientMsgId: string; content: string } & ({ receiverId: string } | { groupId: string });

const dataDir = scratchDir('chat-restart');
let child: ChildServer | undefined;
afterAll(async () => {
  await child?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** Deterministic pseudo-random numbers: a failing run can be replayed. */
const rng = (seed: number) => () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};

const bigGroupMembers = [...USERS, ...BIG_GROUP_EXTRA];

/** A random send of `senderId`: to a peer (direct) or to a group they are in. */
const randomSend = (random: () => number, groups: { big: string; small: string }, n: string): Send => {
  const senderId = USERS[Math.floor(random() * USERS.length)]!;
  const roll = random();
  const content = `${senderId} says ${n}`;
  if (roll < 0.15) return { senderId, clientMsgId: n, content, groupId: groups.big };
  if (roll < 0.25 && SMALL_GROUP.includes(senderId)) return { senderId, clientMsgId: n, content, groupId: groups.small };
  let receiverId = senderId;
  while (receiverId === senderId) receiverId = USERS[Math.floor(random() * USERS.length)]!;
  return { senderId, clientMsgId: n, content, receiverId };
};

const sendOverHttp = async (server: ChildServer, s: Send) =>
  'groupId' in s
    ? server.call(s.senderId, 'POST', `/v1/groups/${s.groupId}/messages`, { message_type: 'text', content: s.content, client_msg_id: s.clientMsgId })
    : server.call(s.senderId, 'POST', '/v1/messages', { receiver_id: s.receiverId, message_type: 'text', content: s.content, client_msg_id: s.clientMsgId });

/** The event store file, opened for one look (the server is down or killed meanwhile). */
const withStore = async <T>(file: string, look: (store: ReturnType<typeof createSqliteEventStore>) => Promise<T>): Promise<T> => {
  const store = createSqliteEventStore({ path: file });
  try {
    return await look(store);
  } finally {
    await store.close();
  }
};

const readDatabase = (file: string) => new Database(file, { readonly: true, fileMustExist: true, timeout: 5_000 });

type Build = { name: string; build: number; checkpoint: number; state: string };
const liveBuilds = (db: Database.Database): Build[] =>
  db.prepare("SELECT name, build, checkpoint, state FROM projection_builds WHERE state = 'live' ORDER BY name").all() as Build[];

describe('kill -9 during projection, then restart', () => {
  it('keeps every acked send, resumes projection from its checkpoints and applies nothing twice', async () => {
    const startedAt = performance.now();
    const random = rng(42);
    const acks = new Map<string, Ack>(); // by message id
    const attempted = new Map<string, Send>(); // by `${sender}|${clientMsgId}`
    const readWatermarks = new Map<string, number>(); // `${chatId}|${userId}` → highest acked read
    const recordAck = (s: Send, body: { chat_id: string; seq: number; message_id: string }) =>
      acks.set(body.message_id, { chatId: body.chat_id, seq: body.seq, messageId: body.message_id, senderId: s.senderId, clientMsgId: s.clientMsgId, content: s.content });
    const recordRead = (chatId: string, userId: string, seq: number) => {
      const key = `${chatId}|${userId}`;
      readWatermarks.set(key, Math.max(readWatermarks.get(key) ?? 0, seq));
    };

    // ---------------------------------------------------------------- life 1: HTTP traffic, SIGKILL mid-flight
    child = await startChildServer({ dataDir });
    const big = await child.call(USERS[0]!, 'POST', '/v1/groups', { name: 'everyone', member_ids: bigGroupMembers.slice(1) });
    const small = await child.call(SMALL_GROUP[0]!, 'POST', '/v1/groups', { name: 'few', member_ids: SMALL_GROUP.slice(1) });
    expect([big.status, small.status]).toEqual([201, 201]);
    const groups = { big: big.body.chat_id as string, small: small.body.chat_id as string };

    /** Someone in the chat of `ack` who reads up to it: a group member, or either side of a direct chat. */
    const readerOf = (ack: Ack): string => {
      if (ack.chatId === groups.big) return USERS[ack.seq % USERS.length]!;
      if (ack.chatId === groups.small) return SMALL_GROUP[ack.seq % SMALL_GROUP.length]!;
      const send = attempted.get(`${ack.senderId}|${ack.clientMsgId}`)!;
      return ack.seq % 3 === 0 || !('receiverId' in send) ? ack.senderId : send.receiverId;
    };

    let sequence = 0;
    const sendLoop = async (server: ChildServer, until: () => boolean) => {
      while (!until()) {
        const s = randomSend(random, groups, `h${sequence++}`);
        attempted.set(`${s.senderId}|${s.clientMsgId}`, s);
        const r = await sendOverHttp(server, s);
        expect(r.status).toBe(201);
        recordAck(s, r.body);
      }
    };
    // A first round, then read watermarks (awaited: their outcome must be known), then sends until the kill.
    await Promise.all(Array.from({ length: 16 }, () => sendLoop(child!, () => acks.size >= 500)));
    for (const ack of [...acks.values()].filter((_, i) => i % 7 === 0)) {
      const reader = readerOf(ack);
      const r = await child.call(reader, 'POST', `/v1/chats/${ack.chatId}/read`, { seq: ack.seq });
      expect(r.status).toBe(204);
      recordRead(ack.chatId, reader, ack.seq);
    }

    const firstLife = child;
    let killed = false;
    let loopFailure: unknown;
    const loops = Array.from({ length: 32 }, () =>
      sendLoop(firstLife, () => killed).catch((e: unknown) => {
        // Sends cut by the kill fail as network errors; anything before it is a real failure.
        if (!killed) loopFailure ??= e;
      }),
    );
    while (acks.size < HTTP_SENDS_BEFORE_KILL && loopFailure === undefined) await new Promise((r) => setTimeout(r, 5));
    if (loopFailure !== undefined) throw loopFailure;
    killed = true;
    expect(await firstLife.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    await Promise.all(loops);
    const ackedOverHttp = acks.size;
    const ackedKeys = new Set([...acks.values()].map((a) => `${a.senderId}|${a.clientMsgId}`));
    const inFlightAtKill = [...attempted.entries()].filter(([key]) => !ackedKeys.has(key)).map(([, s]) => s);
    const lifeOneAt = performance.now();

    // ---------------------------------------------------------------- backlog: another writer appends while the server is down
    const eventsFile = join(dataDir, 'events.db');
    const readModelsFile = join(dataDir, 'read-models.db');
    const headAfterLifeOne = Number(await withStore(eventsFile, (store) => store.headPosition()));
    const checkpointAfterLifeOne = (() => {
      const db = readDatabase(readModelsFile);
      try {
        return Math.min(...liveBuilds(db).map((b) => b.checkpoint));
      } finally {
        db.close();
      }
    })();
    {
      const store = createSqliteEventStore({ path: eventsFile });
      const commands = createCommands(store, { sendRate: { perSecond: 1e9, burst: 1e9 } });
      for (let done = 0; done < BACKLOG_SENDS; ) {
        const batch = Array.from({ length: Math.min(1_000, BACKLOG_SENDS - done) }, (_, i) => randomSend(random, groups, `b${done + i}`));
        const answers = await Promise.all(
          batch.map((s) =>
            commands.sendMessage({
              senderId: s.senderId,
              clientMsgId: s.clientMsgId,
              messageType: 'text',
              content: s.content,
              ...('groupId' in s ? { chatId: s.groupId } : { receiverId: s.receiverId }),
            }),
          ),
        );
        answers.forEach((a, i) => {
          attempted.set(`${batch[i]!.senderId}|${batch[i]!.clientMsgId}`, batch[i]!);
          recordAck(batch[i]!, { chat_id: a.chatId, seq: a.seq, message_id: a.messageId });
        });
        done += batch.length;
      }
      // Some more read watermarks, by the same command the REST route uses.
      for (const ack of [...acks.values()].filter((a) => a.clientMsgId.startsWith('b') && a.seq % 53 === 0)) {
        const reader = readerOf(ack);
        await commands.markRead({ userId: reader, chatId: ack.chatId, seq: ack.seq });
        recordRead(ack.chatId, reader, ack.seq);
      }
      await store.close();
    }
    const head = Number(await withStore(eventsFile, (store) => store.headPosition()));
    expect(head - checkpointAfterLifeOne).toBeGreaterThan(BACKLOG_SENDS);
    const backlogAt = performance.now();

    // ---------------------------------------------------------------- life 2: SIGKILL while the projector works through the backlog
    child = await startChildServer({ dataDir, waitReady: false });
    const secondLife = child;
    {
      // Kill on the first committed batch past life 1's checkpoint: most of the backlog is still
      // ahead. A synchronous poll (every millisecond, not at the mercy of this event loop) so the
      // moment is not missed on a busy machine.
      const watch = readDatabase(readModelsFile);
      const pause = new Int32Array(new SharedArrayBuffer(4));
      const deadline = Date.now() + 30_000;
      try {
        for (;;) {
          const checkpoints = liveBuilds(watch).map((b) => b.checkpoint);
          if (checkpoints.length === allProjections.length && Math.min(...checkpoints) > checkpointAfterLifeOne) break;
          if (Date.now() > deadline) break;
          Atomics.wait(pause, 0, 0, 1);
        }
      } finally {
        watch.close();
      }
      secondLife.kill('SIGKILL');
    }
    expect(await secondLife.exited, `the second life should have been killed mid-projection:\n${secondLife.output()}`).toEqual({ code: null, signal: 'SIGKILL' });

    // What the kill left: part of the backlog applied, and exactly the part its checkpoint says.
    const log = await withStore(eventsFile, (store) => store.readAll());
    const buildsAtKill = new Map<string, Build>();
    {
      const db = readDatabase(readModelsFile);
      try {
        for (const b of liveBuilds(db)) buildsAtKill.set(b.name, b);
        expect([...buildsAtKill.keys()]).toEqual(allProjections.map((p) => p.name).sort());
        for (const b of buildsAtKill.values()) {
          expect(b.checkpoint).toBeGreaterThan(checkpointAfterLifeOne);
          expect(b.checkpoint).toBeLessThan(head);
        }
        const historyAtKill = buildsAtKill.get('history')!;
        const sentUpToCheckpoint = log.filter((e) => e.type === 'MessageSent' && e.position <= BigInt(historyAtKill.checkpoint)).length;
        const rows = (db.prepare(`SELECT COUNT(*) AS n FROM "${physicalTable('history', historyAtKill.build, 'messages')}"`).get() as { n: number }).n;
        expect(rows).toBe(sentUpToCheckpoint);
        // The inbox's last seq per chat is the last MessageSent at or before its checkpoint.
        const inboxAtKill = buildsAtKill.get('inbox')!;
        const lastSeqs = new Map<string, number>();
        for (const e of log)
          if (e.type === 'MessageSent' && e.position <= BigInt(inboxAtKill.checkpoint)) lastSeqs.set((e.data as MessageSent['data']).chatId, (e.data as MessageSent['data']).seq);
        const activity = db.prepare(`SELECT chat_id, last_seq FROM "${physicalTable('inbox', inboxAtKill.build, 'activity')}" WHERE last_seq > 0`).all() as { chat_id: string; last_seq: number }[];
        expect(new Map(activity.map((r) => [r.chat_id, r.last_seq]))).toEqual(lastSeqs);
      } finally {
        db.close();
      }
    }
    const lifeTwoAt = performance.now();

    // ---------------------------------------------------------------- life 3: restart, everything complete and exact
    child = await startChildServer({ dataDir });
    const server = child;

    // The projector resumed the same builds from their checkpoints (no rebuild from 0) and reached the head.
    const status = await server.call('admin', 'GET', '/v1/admin/projections');
    expect(status.status).toBe(200);
    for (const p of status.body.projections as { name: string; version: number; checkpoint: number; lag: number; state: string }[]) {
      expect(p).toMatchObject({ version: buildsAtKill.get(p.name)!.build, checkpoint: head, lag: 0, state: 'live' });
    }

    // Every acked send survived both kills, at the seq its ack gave.
    const stored = new Map<string, MessageSent['data']>();
    for (const e of log) if (e.type === 'MessageSent') stored.set((e.data as MessageSent['data']).messageId, e.data as MessageSent['data']);
    const lost = [...acks.values()].filter((a) => stored.get(a.messageId)?.seq !== a.seq || stored.get(a.messageId)?.chatId !== a.chatId);
    expect(lost).toEqual([]);

    // Sends cut by the first kill: the client retries them with the same client_msg_id, as a real
    // client would. Stored before the kill: the original ack (200); else stored now (201).
    for (const s of inFlightAtKill) {
      const r = await sendOverHttp(server, s);
      expect([200, 201]).toContain(r.status);
      if (r.status === 200) expect(stored.get(r.body.message_id)?.seq).toBe(r.body.seq);
      recordAck(s, r.body);
    }

    // History: every chat holds exactly the acked messages, seq 1..n, nothing more.
    const ackedByChat = new Map<string, Ack[]>();
    for (const a of acks.values()) ackedByChat.set(a.chatId, [...(ackedByChat.get(a.chatId) ?? []), a]);
    for (const [chatId, chatAcks] of ackedByChat) {
      chatAcks.sort((a, b) => a.seq - b.seq);
      const viewer = chatAcks[0]!.senderId;
      const messages = await readWholeHistory(server, viewer, chatId);
      expect(messages.map((m) => m.seq)).toEqual(chatAcks.map((_, i) => i + 1));
      expect(messages.map((m) => [m.message_id, m.sender_id, m.client_msg_id, m.content])).toEqual(
        chatAcks.map((a) => [a.messageId, a.senderId, a.clientMsgId, a.content]),
      );
    }

    // Unread counts of every user, from the acks and the acked read watermarks alone.
    const directMembers = new Map<string, Set<string>>();
    for (const s of attempted.values()) if ('receiverId' in s) directMembers.set(directChatIdFor(s.senderId, s.receiverId), new Set([s.senderId, s.receiverId]));
    const membersOf = (chatId: string): Set<string> =>
      chatId === groups.big ? new Set(bigGroupMembers) : chatId === groups.small ? new Set(SMALL_GROUP) : directMembers.get(chatId)!;
    for (const userId of USERS) {
      const chats: { chat_id: string; last_seq: number; read_seq: number; unread_count: number }[] = [];
      for (let cursor: string | null = null; ; ) {
        const page = await server.call(userId, 'GET', `/v1/chats?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        chats.push(...page.body.chats);
        if (!(cursor = page.body.next_cursor)) break;
      }
      const expected = [...ackedByChat]
        .filter(([chatId]) => membersOf(chatId).has(userId))
        .map(([chatId, chatAcks]) => {
          const readSeq = readWatermarks.get(`${chatId}|${userId}`) ?? 0;
          return {
            chat_id: chatId,
            last_seq: chatAcks.length,
            read_seq: readSeq,
            unread_count: chatAcks.filter((a) => a.seq > readSeq && a.senderId !== userId).length,
          };
        })
        .sort((a, b) => a.chat_id.localeCompare(b.chat_id));
      expect(chats.map(({ chat_id, last_seq, read_seq, unread_count }) => ({ chat_id, last_seq, read_seq, unread_count })).sort((a, b) => a.chat_id.localeCompare(b.chat_id))).toEqual(expected);
    }

    // The watermarks expected above are the log's: the highest ReadUpTo per chat and user.
    const loggedReads = new Map<string, number>();
    for (const e of log)
      if (e.type === 'ReadUpTo') {
        const d = e.data as EventOfType<'ReadUpTo'>['data'];
        loggedReads.set(`${d.chatId}|${d.userId}`, Math.max(loggedReads.get(`${d.chatId}|${d.userId}`) ?? 0, d.seq));
      }
    expect(loggedReads).toEqual(readWatermarks);

    // And from the files: after a clean stop every live build's checkpoint is the head of the log.
    expect(await server.stop()).toEqual({ code: 0, signal: null });
    const finalHead = Number(await withStore(eventsFile, (store) => store.headPosition()));
    const db = readDatabase(readModelsFile);
    try {
      expect(liveBuilds(db).map((b) => [b.name, b.build, b.checkpoint])).toEqual([...buildsAtKill.values()].map((b) => [b.name, b.build, finalHead]));
    } finally {
      db.close();
    }

    const seconds = (a: number, b: number) => ((b - a) / 1000).toFixed(1);
    console.log(
      `restart e2e: ${ackedOverHttp} HTTP acks before the kill (${inFlightAtKill.length} in flight), backlog ${BACKLOG_SENDS} sends, ` +
        `life 1 killed with its projector at ${checkpointAfterLifeOne} of ${headAfterLifeOne}, life 2 killed at checkpoint ${buildsAtKill.get('history')!.checkpoint} of ${head} (from ${checkpointAfterLifeOne}); ` +
        `life 1 ${seconds(startedAt, lifeOneAt)} s, backlog ${seconds(lifeOneAt, backlogAt)} s, life 2 ${seconds(backlogAt, lifeTwoAt)} s, life 3 ${seconds(lifeTwoAt, performance.now())} s`,
    );
  }, 90_000);
});
