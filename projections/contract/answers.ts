import { allProjections } from '../allProjections.ts';
import { STRANGER, USERS, type ChatLog } from './chatLog.ts';
import type { AsyncQueries, ReadStoreFacade } from './readStoreFacade.ts';

const USERS_AND_STRANGER = [...USERS, STRANGER];

/** Byte order of UTF-8, as SQLite's BINARY collation and MongoDB compare strings. */
export const compareText = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

const compareScalar = (a: unknown, b: unknown): number => {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return compareText(String(a), String(b));
};

/** Every row of every table of the given builds, in primary-key order. */
export const dump = async (store: ReadStoreFacade, builds: Map<string, number>) => {
  const out: Record<string, unknown[]> = {};
  for (const p of allProjections) {
    const build = builds.get(p.name);
    if (build === undefined) continue;
    for (const [table, spec] of Object.entries(p.tables)) {
      const rows = await store.rows(p.name, build, table);
      rows.sort((x, y) => {
        for (const c of spec.primaryKey) {
          const d = compareScalar(x[c], y[c]);
          if (d !== 0) return d;
        }
        return 0;
      });
      out[`${p.name}.${table}`] = rows;
    }
  }
  return out;
};

const sorted = (xs: string[]) => [...xs].sort(compareText);

/** Awaits every field of an object in parallel. */
const allOf = async <T extends Record<string, unknown>>(fields: T): Promise<{ [K in keyof T]: Awaited<T[K]> }> =>
  Object.fromEntries(await Promise.all(Object.entries(fields).map(async ([k, v]) => [k, await v]))) as { [K in keyof T]: Awaited<T[K]> };

/** Follows `next` until it answers undefined (at most `max` pages). */
const pages = async <P>(first: () => Promise<P>, next: (page: P) => (() => Promise<P>) | undefined, max = 50): Promise<P[]> => {
  const out: P[] = [];
  let call: (() => Promise<P>) | undefined = first;
  while (call && out.length < max) {
    const page: P = await call();
    out.push(page);
    call = next(page);
  }
  return out;
};

/**
 * The answer of every query the API makes, for every user (and a stranger) and every
 * chat and message of the log (and unknown ones), with paging both ways. Results whose
 * order SQLite leaves unspecified (no ORDER BY) are sorted. `viewers`: whose view of
 * history and messages (statuses of their own messages) to ask for; all by default.
 */
export const answers = async (q: AsyncQueries, log: ChatLog, { viewers = USERS_AND_STRANGER }: { viewers?: readonly string[] } = {}) => {
  const chatIds = [...log.chatIds, 'no-such-chat'];
  const messages = [...log.messages, { chatId: 'no-such-chat', seq: 1 }, ...log.chatIds.slice(0, 1).map((chatId) => ({ chatId, seq: 1_000_000 }))];
  const perUser = await Promise.all(
    USERS_AND_STRANGER.map((u) =>
      allOf({
        user: u,
        inbox: q.inbox(u, { limit: 100 }),
        inboxPages: pages(
          () => q.inbox(u, { limit: 2 }),
          (page) => (page?.next_cursor ? () => q.inbox(u, { limit: 2, cursor: page.next_cursor! }) : undefined),
        ),
        badCursor: q.inbox(u, { limit: 2, cursor: 'bm90IGEgY3Vyc29y' }),
        contacts: q.contactsAmong(u, USERS_AND_STRANGER).then(sorted),
        noContacts: q.contactsAmong(u, []),
        directPeers: q.directPeers(u).then(sorted),
        chatsOf: q.chatsOf(u).then((xs) => xs.sort((a, b) => compareText(a.chat_id, b.chat_id))),
      }),
    ),
  );
  const perChat = await Promise.all(
    chatIds.map((c) =>
      allOf({
        chat: c,
        info: q.chat(c),
        members: q.members(c),
        receipts: q.receipts(c),
        isMember: Promise.all(USERS_AND_STRANGER.map((u) => q.isMember(c, u))),
        history: Promise.all(viewers.map((u) => q.history(c, u, { limit: 100 }))),
        newestFirst: pages(
          () => q.history(c, 'ann', { limit: 2 }),
          (page) => (page.has_more ? () => q.history(c, 'ann', { limit: 2, before: page.messages.at(-1)!.seq }) : undefined),
        ),
        oldestFirst: pages(
          () => q.history(c, 'bob', { limit: 3, after: 0 }),
          (page) => (page.has_more ? () => q.history(c, 'bob', { limit: 3, after: page.messages.at(-1)!.seq }) : undefined),
        ),
        middle: q.history(c, 'cat', { limit: 1, before: 3 }),
      }),
    ),
  );
  const perMessage = await Promise.all(
    messages.map((m) =>
      allOf({
        message: m,
        views: Promise.all(viewers.map((u) => q.message(m.chatId, m.seq, u))),
      }),
    ),
  );
  return { perUser, perChat, perMessage };
};
