import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directChatIdFor } from '../domain/ids.ts';
import { freePort } from '../testing/childServer.ts';
import { startTestServer, type TestServer } from '../testing/testServer.ts';
import { readWholeHistory } from '../testing/readWholeHistory.ts';
import { allProjections } from './allProjections.ts';

/**
 * Acceptance: rebuild a projection to a new version while sends continue; reads switch
 * without an error and nothing is missed.
 *
 * A real server with some history (HTTP sends, edits, reactions, a delete, read
 * watermarks, and a bulk of sends through the server's own command handlers). Then
 * senders (direct and group, over REST), watermark writers and readers (`GET
 * /v1/messages`, `GET /v1/chats`) run in loops while each projection is rebuilt in
 * turn: `history` through `chatctl` in a child process, `inbox` and `membership`
 * through the admin route, `receipts` through `readModels.rebuild` in process. Every
 * read must answer 200 and reflect every write acked before it was sent (reads follow
 * acknowledged writes, across the switch too). At the end each projection runs a new
 * build, and history, inbox, unread counts, receipts and members equal what the acks
 * say.
 */

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const USERS = Array.from({ length: 8 }, (_, i) => `u${i}`);
const BIG_EXTRA = Array.from({ length: 40 }, (_, i) => `x${String(i).padStart(2, '0')}`);
const SMALL = ['u1', 'u2', 'u3'];
const BULK_SENDS = 20_000;

let server: TestServer;

type Run = { code: number | null; stdout: string; stderr: string; ms: number };
/** `chatctl` in a child process, as an operator runs it (the server answers from this process meanwhile). */
const chatctl = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHAT_')));
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/chatctl.ts', ...args], {
      cwd: repoRoot,
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started) }));
  });

type Status = { name: string; version: number; schema_version: number; checkpoint: number; lag: number; state: string };
type RebuildRow = { name: string; build: number; checkpoint: number; head: number; applied: number; events_per_second: number; state: string };
const adminStatus = async (): Promise<{ projections: Status[]; rebuilds: RebuildRow[] }> => {
  const r = await server.call('admin', 'GET', '/v1/admin/projections');
  expect(r.status).toBe(200);
  return r.body;
};
const liveVersion = async (name: string) => {
  const rows = (await adminStatus()).projections.filter((p) => p.name === name);
  expect(rows).toHaveLength(1);
  expect(rows[0]!.state).toBe('live');
  return rows[0]!.version;
};

const modes = [
  ['read models written on the main thread', { CHAT_PROJECT_IN_WORKER: '0' }],
  ['read models written by a worker thread', { CHAT_PROJECT_IN_WORKER: '1' }],
] as const;

for (const [mode, env] of modes)
  describe(`online rebuild while sends continue (${mode})`, () => {
    beforeAll(async () => {
      server = await startTestServer(env);
    });
    afterAll(() => server?.stop());

    it('switches every projection to a new build; reads never fail, never miss an acked write, and end exact', async () => {
      const startedAt = performance.now();
      const random = (() => {
        let seed = 7;
        return () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
      })();
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

      // ------------------------------------------------------------ the world as the acks tell it
      type Ack = { chatId: string; seq: number; messageId: string; senderId: string; clientMsgId: string; content: string };
      const acks = new Map<string, Ack[]>(); // chat → acks
      const lastAcked = new Map<string, number>(); // chat → highest acked seq
      const reads = new Map<string, number>(); // `${chat}|${user}` → highest acked read watermark
      const members = new Map<string, readonly string[]>();
      const chatsOf = (userId: string) => [...members].filter(([, m]) => m.includes(userId)).map(([c]) => c);
      const recordAck = (a: Ack) => {
        acks.set(a.chatId, [...(acks.get(a.chatId) ?? []), a]);
        lastAcked.set(a.chatId, Math.max(lastAcked.get(a.chatId) ?? 0, a.seq));
      };
      const recordRead = (chatId: string, userId: string, seq: number) => reads.set(`${chatId}|${userId}`, Math.max(reads.get(`${chatId}|${userId}`) ?? 0, seq));

      // ------------------------------------------------------------ history
      const big = await server.call('u0', 'POST', '/v1/groups', { name: 'all', member_ids: [...USERS.slice(1), ...BIG_EXTRA] });
      const small = await server.call('u1', 'POST', '/v1/groups', { name: 'few', member_ids: SMALL.slice(1) });
      expect([big.status, small.status]).toEqual([201, 201]);
      const bigId: string = big.body.chat_id;
      const smallId: string = small.body.chat_id;
      members.set(bigId, [...USERS, ...BIG_EXTRA]).set(smallId, SMALL);
      for (const a of USERS) for (const b of USERS) if (a < b) members.set(directChatIdFor(a, b), [a, b]);

      let n = 0;
      /** One random send over REST: direct or to a group of the sender. */
      const sendOne = async (prefix: string) => {
        const senderId = pick(USERS);
        const clientMsgId = `${prefix}${n++}`;
        const content = `${senderId}:${clientMsgId}`;
        const roll = random();
        const r =
          roll < 0.3
            ? await server.call(senderId, 'POST', `/v1/groups/${SMALL.includes(senderId) && roll < 0.1 ? smallId : bigId}/messages`, { message_type: 'text', content, client_msg_id: clientMsgId })
            : await server.call(senderId, 'POST', '/v1/messages', { receiver_id: pick(USERS.filter((u) => u !== senderId)), message_type: 'text', content, client_msg_id: clientMsgId });
        expect(r.status).toBe(201);
        recordAck({ chatId: r.body.chat_id, seq: r.body.seq, messageId: r.body.message_id, senderId, clientMsgId, content });
        return r.body as { chat_id: string; seq: number; message_id: string };
      };
      for (let i = 0; i < 300; i++) await sendOne('h');

      // Edits, reactions and a delete, which every history build must reproduce.
      const [edited, reacted, deleted] = [...acks.get(bigId)!].slice(0, 3);
      expect((await server.call(edited!.senderId, 'PATCH', `/v1/messages/${edited!.messageId}`, { content: 'edited' })).status).toBe(200);
      edited!.content = 'edited';
      for (const u of ['u2', 'u5']) expect((await server.call(u, 'PUT', `/v1/messages/${reacted!.messageId}/reactions/${encodeURIComponent('👍')}`)).status).toBe(204);
      expect((await server.call(deleted!.senderId, 'DELETE', `/v1/messages/${deleted!.messageId}`)).status).toBe(204);
      deleted!.content = '';

      // The bulk, through the server's own command handlers: a rebuild with something to do.
      for (let done = 0; done < BULK_SENDS; done += 1_000) {
        const batch = Array.from({ length: 1_000 }, (_, i) => {
          const senderId = pick(USERS);
          const clientMsgId = `b${done + i}`;
          const content = `${senderId}:${clientMsgId}`;
          const group = random() < 0.2;
          return { senderId, clientMsgId, content, ...(group ? { chatId: bigId } : { receiverId: pick(USERS.filter((u) => u !== senderId)) }) };
        });
        const answers = await Promise.all(batch.map((s) => server.commands.sendMessage({ ...s, messageType: 'text' })));
        answers.forEach((a, i) => recordAck({ chatId: a.chatId, seq: a.seq, messageId: a.messageId, senderId: batch[i]!.senderId, clientMsgId: batch[i]!.clientMsgId, content: batch[i]!.content }));
      }
      const markRead = async (chatId: string, userId: string, seq: number) => {
        const r = await server.call(userId, 'POST', `/v1/chats/${chatId}/read`, { seq });
        expect(r.status).toBe(204);
        recordRead(chatId, userId, seq);
      };
      for (const [chatId, chatAcks] of acks) for (const userId of members.get(chatId)!.filter((u) => USERS.includes(u) && random() < 0.5)) await markRead(chatId, userId, pick(chatAcks).seq);
      const historyAt = performance.now();

      // ------------------------------------------------------------ load: sends, watermarks and reads in loops
      let stop = false;
      const failures: string[] = [];
      const readCounts = { history: 0, inbox: 0, duringRebuild: 0 };
      const rebuilding = () => server.readModels.rebuilds().some((b) => b.state === 'running');
      let acksDuringRebuilds = 0;

      const senders = Array.from({ length: 3 }, async () => {
        while (!stop) {
          await sendOne('l');
          acksDuringRebuilds++;
        }
      });
      const watermarks = (async () => {
        while (!stop) {
          const chatId = pick([...lastAcked.keys()]);
          await markRead(chatId, pick(members.get(chatId)!.filter((u) => USERS.includes(u))), lastAcked.get(chatId)!);
        }
      })();
      const readers = Array.from({ length: 3 }, async (_, k) => {
        while (!stop) {
          if (rebuilding()) readCounts.duringRebuild++;
          if (k % 2 === 0) {
            // History of a chat: its newest message is at least the last one acked before the read.
            const chatId = pick([...lastAcked.keys()]);
            const floor = lastAcked.get(chatId)!;
            const reader = pick(members.get(chatId)!.filter((u) => USERS.includes(u)));
            const r = await server.call(reader, 'GET', `/v1/messages?chat_id=${chatId}&limit=5`);
            readCounts.history++;
            const seqs: number[] = r.status === 200 ? r.body.messages.map((m: { seq: number }) => m.seq) : [];
            if (r.status !== 200) failures.push(`GET /v1/messages ${chatId} → ${r.status} ${JSON.stringify(r.body)}`);
            else if (!(seqs[0]! >= floor) || seqs.some((s, i) => s !== seqs[0]! - i)) failures.push(`GET /v1/messages ${chatId}: seqs ${seqs} after an ack of ${floor}`);
          } else {
            // Inbox of a user: every chat with an acked message is there, at least at its acked seq.
            const userId = pick(USERS);
            const floors = new Map(chatsOf(userId).filter((c) => lastAcked.has(c)).map((c) => [c, lastAcked.get(c)!]));
            const r = await server.call(userId, 'GET', '/v1/chats?limit=200');
            readCounts.inbox++;
            if (r.status !== 200) failures.push(`GET /v1/chats as ${userId} → ${r.status} ${JSON.stringify(r.body)}`);
            else {
              const seen = new Map<string, number>(r.body.chats.map((c: { chat_id: string; last_seq: number }) => [c.chat_id, c.last_seq]));
              for (const [chatId, floor] of floors)
                if (!((seen.get(chatId) ?? -1) >= floor)) failures.push(`GET /v1/chats as ${userId}: ${chatId} at ${seen.get(chatId)} after an ack of ${floor}`);
            }
          }
        }
      });
      const load = Promise.all([...senders, watermarks, ...readers]);
      // Whatever happens below, the loops end.
      const stopLoad = async () => {
        stop = true;
        await load;
      };

      try {
        const versions = new Map<string, [number, number]>();
        const timings: string[] = [];

        // history: through chatctl, the operator's tool, with a token given on the command line.
        {
          const before = await liveVersion('history');
          const run = await chatctl(['projections', 'rebuild', 'history', '--url', server.url, '--token', await server.token('ops', ['admin']), '--interval', '50']);
          expect(run.stderr).toBe('');
          expect(run.code).toBe(0);
          // The progress bar with events/s, ending live, then the summary line.
          expect(run.stdout).toMatch(/^history {2}\[[#-]{30}\] +\d+% {2}\d+\/\d+ events {2}\d+ events\/s {2}(running|live)$/m);
          expect(run.stdout).toMatch(/^history {2}\[#{30}\] 100% {2}\d+\/\d+ events {2}\d+ events\/s {2}live$/m);
          expect(run.stdout).toMatch(new RegExp(`^history: reads switched to build ${before + 1} \\(was ${before}\\); \\d+ events applied at \\d+ events/s`, 'm'));
          versions.set('history', [before, await liveVersion('history')]);
          timings.push(`history (chatctl) ${run.ms} ms`);
        }

        // inbox and membership: through the admin route, following the progress it reports.
        for (const name of ['inbox', 'membership']) {
          const before = await liveVersion(name);
          const t = performance.now();
          const started = await server.call('admin', 'POST', `/v1/admin/projections/${name}/rebuild`);
          expect(started.status).toBe(202);
          expect(started.body).toEqual({ name, state: 'running' });
          let progress: RebuildRow | undefined;
          for (;;) {
            progress = (await adminStatus()).rebuilds.find((b) => b.name === name && b.build > before);
            expect(progress?.state).toMatch(/^(running|live)$/);
            if (progress!.state === 'live') break;
            await new Promise((r) => setTimeout(r, 20));
          }
          expect(progress).toMatchObject({ build: before + 1, applied: expect.any(Number), events_per_second: expect.any(Number) });
          expect(progress!.applied).toBeGreaterThan(BULK_SENDS);
          versions.set(name, [before, await liveVersion(name)]);
          timings.push(`${name} (HTTP) ${Math.round(performance.now() - t)} ms`);
        }

        // receipts: in process.
        {
          const before = await liveVersion('receipts');
          const t = performance.now();
          const done = await server.readModels.rebuild('receipts');
          expect(done).toMatchObject({ name: 'receipts', build: before + 1, state: 'live' });
          versions.set('receipts', [before, await liveVersion('receipts')]);
          timings.push(`receipts (in process) ${Math.round(performance.now() - t)} ms`);
        }

        // Some load after the last switch too, then stop it.
        const target = acksDuringRebuilds + 50;
        while (acksDuringRebuilds < target) await new Promise((r) => setTimeout(r, 10));
        await stopLoad();

        expect(failures).toEqual([]);
        expect(readCounts.history).toBeGreaterThan(20);
        expect(readCounts.inbox).toBeGreaterThan(20);
        expect(acksDuringRebuilds).toBeGreaterThan(50);

        // Every projection now runs a newer build, alone, live and caught up.
        for (const p of allProjections) expect(versions.get(p.name)![1]).toBeGreaterThan(versions.get(p.name)![0]);
        // Caught up once the last sends are projected (a writer thread commits them a few ms later).
        await server.readModels.fresh(undefined, 5_000);
        const final = await adminStatus();
        expect(final.projections.map((p) => [p.name, p.version, p.lag, p.state]).sort()).toEqual(allProjections.map((p) => [p.name, versions.get(p.name)![1], 0, 'live']).sort());

        // ------------------------------------------------------------ nothing missed
        // History of every chat: exactly the acked messages, seq 1..n, with the edit, the reactions and the delete.
        for (const [chatId, chatAcks] of acks) {
          chatAcks.sort((a, b) => a.seq - b.seq);
          const viewer = members.get(chatId)![0]!;
          const messages = await readWholeHistory(server, viewer, chatId);
          expect(messages.map((m) => m.seq)).toEqual(chatAcks.map((_, i) => i + 1));
          expect(messages.map((m) => [m.message_id, m.sender_id, m.client_msg_id, m.content])).toEqual(chatAcks.map((a) => [a.messageId, a.senderId, a.clientMsgId, a.content]));
          if (chatId === bigId) {
            expect(messages.find((m) => m.message_id === reacted!.messageId)!.reactions).toEqual({ '👍': ['u2', 'u5'] });
            expect(messages.find((m) => m.message_id === deleted!.messageId)!.deleted).toBe(true);
            expect(messages.filter((m) => m.reactions !== undefined)).toHaveLength(1);
          }
        }

        // Inbox of every user: the chats, last seq, read watermark and exact unread count.
        for (const userId of USERS) {
          const r = await server.call(userId, 'GET', '/v1/chats?limit=200');
          expect(r.status).toBe(200);
          const got = r.body.chats.map((c: { chat_id: string; last_seq: number; read_seq: number; unread_count: number }) => [c.chat_id, c.last_seq, c.read_seq, c.unread_count]);
          const expected = chatsOf(userId)
            .filter((c) => acks.has(c))
            .map((chatId) => {
              const readSeq = reads.get(`${chatId}|${userId}`) ?? 0;
              const chatAcks = acks.get(chatId)!;
              return [chatId, chatAcks.length, readSeq, chatAcks.filter((a) => a.seq > readSeq && a.senderId !== userId).length];
            });
          expect(got.sort()).toEqual(expected.sort());
        }

        // Receipts and members.
        const receipts = await server.call('u1', 'GET', `/v1/messages/${acks.get(smallId)![0]!.messageId}/receipts`);
        expect(receipts.body.receipts.map((x: { user_id: string; read_seq: number }) => [x.user_id, x.read_seq])).toEqual(SMALL.map((u) => [u, reads.get(`${smallId}|${u}`) ?? 0]));
        const group = await server.call('u3', 'GET', `/v1/groups/${bigId}`);
        expect(group.body.members.map((m: { user_id: string }) => m.user_id).sort()).toEqual([...USERS, ...BIG_EXTRA].sort());

        expect(server.readModels.writesOnWorker()).toBe(env.CHAT_PROJECT_IN_WORKER === '1');
        // Reads were served while rebuilds ran (catch-up yields to the event loop between pages).
        expect(readCounts.duringRebuild).toBeGreaterThan(0);
        console.log(
          `rebuild e2e: ${[...acks.values()].reduce((s, a) => s + a.length, 0)} messages; during the rebuilds ${acksDuringRebuilds} sends acked, ` +
            `${readCounts.history} history and ${readCounts.inbox} inbox reads (${readCounts.duringRebuild} sent while a rebuild was running); ${timings.join(', ')}; ` +
            `history built in ${Math.round(historyAt - startedAt)} ms, rebuilds and checks ${Math.round(performance.now() - historyAt)} ms`,
        );
      } finally {
        await stopLoad().catch(() => {});
      }
    }, 60_000);
  });

describe('chatctl', () => {
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it('projections status prints the table of /v1/admin/projections, with a token minted from the data dir', async () => {
    // No token given: chatctl signs one with the jwt-secret the embedded server generated in its data dir.
    const run = await chatctl(['projections', 'status'], { CHAT_URL: server.url, CHAT_DATA_DIR: server.dataDir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]!.split(/\s+/)).toEqual(['NAME', 'VERSION', 'SCHEMA', 'CHECKPOINT', 'LAG', 'STATE']);
    const { projections } = await adminStatus();
    const rows = lines.slice(1, 1 + projections.length).map((l) => l.split(/\s+/));
    const head = Number(await server.store.headPosition());
    expect(rows).toEqual(projections.map((p) => [p.name, String(p.version), String(p.schema_version), String(head), '0', 'live']));
  });

  it('explains failures in one line: no admin role (403), bad token (401), unknown projection, unreachable server', async () => {
    const user = await server.token('u1');
    const closedPort = await freePort(); // nobody listens there
    const [forbidden, unauthorized, unknown, unreachable] = await Promise.all([
      chatctl(['projections', 'status', '--url', server.url, '--token', user]),
      chatctl(['projections', 'status', '--url', server.url], { CHAT_JWT_SECRET: 'not-the-secret-of-this-server' }),
      chatctl(['projections', 'rebuild', 'nope', '--url', server.url], { CHAT_ADMIN_TOKEN: await server.token('ops', ['admin']) }),
      chatctl(['projections', 'status', '--url', `http://127.0.0.1:${closedPort}`, '--token', user]),
    ]);
    for (const run of [forbidden, unauthorized, unknown, unreachable]) {
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    expect(forbidden.stderr).toMatch(/^chatctl: forbidden \(403\): .*admin/);
    expect(unauthorized.stderr).toMatch(/^chatctl: unauthorized \(401\)/);
    expect(unknown.stderr).toMatch(/^chatctl: unknown projection "nope" \(known: history, inbox, membership, receipts\)/);
    expect(unreachable.stderr).toBe(`chatctl: cannot reach the server at http://127.0.0.1:${closedPort} (ECONNREFUSED)\n`);
  });

  it('prints its usage and exits 2 on bad arguments', async () => {
    const runs = await Promise.all([['projections'], ['projections', 'rebuild'], ['--frob', 'projections', 'status']].map((args) => chatctl(args)));
    for (const run of runs) {
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('usage: chatctl');
    }
  });
});

describe('admin routes', () => {
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it('refuse a user without the admin role (403) and a missing token (401)', async () => {
    for (const [method, path] of [
      ['GET', '/v1/admin/projections'],
      ['POST', '/v1/admin/projections/history/rebuild'],
    ] as const) {
      const asUser = await server.call('u1', method, path);
      expect(asUser.status).toBe(403);
      expect(asUser.body.error.code).toBe('forbidden');
      expect((await server.call(null, method, path)).status).toBe(401);
    }
    // Nothing was started by the refused rebuild.
    expect((await adminStatus()).projections.filter((p) => p.name === 'history')).toHaveLength(1);
  });
});
