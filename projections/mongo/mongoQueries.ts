import { decodeCursor, encodeCursor, toMessage, type MessageRow } from '../messageRow.ts';
import type { Collection, Document, Filter } from 'mongodb';
import type { ChatInfo, ChatSummary, HistoryPage, InboxPage, MemberView, MessageView, ReceiptView } from '../views.ts';
import type { MongoReadStore } from './mongoReadStore.ts';

type MemberRow = { chat_id: string; user_id: string; role: 'admin' | 'member'; joined_at: string; peer_id: string | null };
type WatermarkRow = { chat_id: string; user_id: string; delivered_seq: number; read_seq: number };
type ActivityRow = { chat_id: string; last_seq: number; last_message_id: string | null; updated_at: string };
type ChatRow = { chat_id: string; chat_type: 'direct' | 'group'; name: string | null };


/** UTF-8 byte order: SQLite's BINARY collation, which the SQLite queries sort by. */
const byText = (a: string, b: string) => (a === b ? 0 : Buffer.compare(Buffer.from(a), Buffer.from(b)));


const NO_ID = { projection: { _id: 0 } } as const;

/**
 * The queries of `createSqliteQueries`, same arguments and result shapes, on MongoDB
 * (and FerretDB 1.24: plain finds on equality/range/`$in` filters, one `count`;
 * no `$lookup`). Joins are done here, with round trips noted per query; independent
 * ones go in parallel. Collection names are resolved per call, as in SQLite.
 *
 * Every find names the index it uses (`use(..., columns)`), and `use` checks that the
 * columns are a prefix of the table's primary key or of one of its TableSpec indexes:
 * each filter is an equality on those columns (a range or `$in` on the last), so the
 * server can answer it from that index.
 */
export const createMongoQueries = (store: MongoReadStore) => {
  const checked = new Set<string>();
  const use = <T extends Document>(name: string, table: string, index: readonly string[]): Collection<T> => {
    const physical = store.table(name, table);
    const key = `${physical} ${index.join(',')}`;
    if (!checked.has(key)) {
      const spec = store.tableSpec(name, table);
      const candidates = [spec?.primaryKey ?? [], ...(spec?.indexes ?? [])];
      if (!candidates.some((cols) => index.every((c, i) => cols[i] === c)))
        throw new Error(`no index of ${physical} starts with (${index.join(', ')}): add it to the TableSpec`);
      checked.add(key);
    }
    return store.db.collection<T>(physical);
  };
  const messages = (index: readonly string[]) => use<MessageRow>('history', 'messages', index);
  const reactions = () => use<{ chat_id: string; seq: number; emoji: string; user_id: string }>('history', 'reactions', ['chat_id', 'seq']);
  const chats = () => use<ChatRow>('membership', 'chats', ['chat_id']);
  const members = (index: readonly string[]) => use<MemberRow>('membership', 'members', index);
  const activity = () => use<ActivityRow>('inbox', 'activity', ['chat_id']);
  const watermarks = () => use<WatermarkRow>('receipts', 'watermarks', ['chat_id']);

  const findMessages = (filter: Filter<MessageRow>, index: readonly string[], sort?: Record<string, 1 | -1>, limit?: number) => {
    let cursor = messages(index).find(filter, NO_ID);
    if (sort) cursor = cursor.sort(sort);
    if (limit !== undefined) cursor = cursor.limit(limit);
    return cursor.toArray() as Promise<MessageRow[]>;
  };

  /** 1 round trip: reactions of a seq range, by (chat_id, seq) of the primary key. */
  const reactionsOf = async (chatId: string, fromSeq: number, toSeq: number) => {
    const rows = await reactions().find({ chat_id: chatId, seq: { $gte: fromSeq, $lte: toSeq } }, NO_ID).toArray();
    rows.sort((a, b) => a.seq - b.seq || byText(a.emoji, b.emoji) || byText(a.user_id, b.user_id));
    const bySeq = new Map<number, Record<string, string[]>>();
    for (const r of rows) {
      const entry = bySeq.get(r.seq) ?? {};
      (entry[r.emoji] ??= []).push(r.user_id);
      bySeq.set(r.seq, entry);
    }
    return bySeq;
  };

  /** 2 round trips (parallel): members and watermarks of the chat, by chat_id. */
  const membersAndWatermarks = async (chatId: string) => {
    const [ms, ws] = await Promise.all([
      members(['chat_id']).find({ chat_id: chatId }, NO_ID).toArray(),
      watermarks().find({ chat_id: chatId }, NO_ID).toArray(),
    ]);
    return { ms, byUser: new Map(ws.map((w) => [w.user_id, w])) };
  };

  /** Lowest delivered and read watermark among the other members: the status of one's own messages. */
  const othersWatermarks = async (chatId: string, userId: string) => {
    const { ms, byUser } = await membersAndWatermarks(chatId);
    const others = ms.filter((m) => m.user_id !== userId);
    if (others.length === 0) return { n: 0, delivered: 0, read: 0 };
    return {
      n: others.length,
      delivered: Math.min(...others.map((m) => byUser.get(m.user_id)?.delivered_seq ?? 0)),
      read: Math.min(...others.map((m) => byUser.get(m.user_id)?.read_seq ?? 0)),
    };
  };

  /** 1 round trip, 3 (parallel) when the viewer sent one of the rows. */
  const decorate = async (rows: MessageRow[], viewerId: string): Promise<MessageView[]> => {
    if (rows.length === 0) return [];
    const seqs = rows.map((r) => r.seq);
    const chatId = rows[0]!.chat_id;
    const hasOwn = rows.some((r) => r.sender_id === viewerId);
    const [byReaction, others] = await Promise.all([
      reactionsOf(chatId, Math.min(...seqs), Math.max(...seqs)),
      hasOwn ? othersWatermarks(chatId, viewerId) : undefined,
    ]);
    return rows.map((r) => {
      const view = toMessage(r);
      const reacted = byReaction.get(r.seq);
      if (reacted) view.reactions = reacted;
      if (others && r.sender_id === viewerId)
        view.status = others.n > 0 && others.read >= r.seq ? 'read' : others.n > 0 && others.delivered >= r.seq ? 'delivered' : 'sent';
      return view;
    });
  };

  /** 1 round trip, by the primary key. */
  const messageAt = async (chatId: string, seq: number): Promise<MessageRow | undefined> =>
    (await findMessages({ chat_id: chatId, seq }, ['chat_id', 'seq'], undefined, 1))[0];

  /** 1 round trip: own messages after the read watermark, by the (chat_id, sender_id, seq) index. */
  const ownAfter = (chatId: string, userId: string, readSeq: number) =>
    messages(['chat_id', 'sender_id', 'seq']).countDocuments({ chat_id: chatId, sender_id: userId, seq: { $gt: readSeq } });

  /** 1 round trip: the user's memberships, by the user_id index. */
  const membershipsOf = (userId: string) => members(['user_id']).find({ user_id: userId }, NO_ID).toArray();

  /** 1 round trip: the user's watermarks in these chats, by the (chat_id, user_id) primary key. */
  const watermarksOf = async (userId: string, chatIds: string[]) =>
    new Map((await watermarks().find({ chat_id: { $in: chatIds }, user_id: userId }, NO_ID).toArray()).map((w) => [w.chat_id, w]));

  return {
    /** 1 round trip. */
    chat: async (chatId: string): Promise<ChatInfo | null> => {
      const row = await chats().findOne({ chat_id: chatId }, NO_ID);
      return row ? { chat_id: row.chat_id, chat_type: row.chat_type, name: row.name ?? null } : null;
    },

    /** 1 round trip (sorted here: at most a group's members). */
    members: async (chatId: string): Promise<MemberView[]> =>
      (await members(['chat_id']).find({ chat_id: chatId }, NO_ID).toArray())
        .sort((a, b) => byText(a.joined_at, b.joined_at) || byText(a.user_id, b.user_id))
        .map((m) => ({ user_id: m.user_id, role: m.role })),

    /** 1 round trip. */
    isMember: async (chatId: string, userId: string): Promise<boolean> =>
      (await members(['chat_id', 'user_id']).findOne({ chat_id: chatId, user_id: userId }, { projection: { _id: 1 } })) !== null,

    /** `before`: newest first below it; `after`: oldest first above it; neither: the newest. 2 round trips (4 with own messages). */
    async history(chatId: string, viewerId: string, page: { before?: number; after?: number; limit: number }): Promise<HistoryPage> {
      const pk = ['chat_id', 'seq'];
      const rows =
        page.after !== undefined
          ? await findMessages({ chat_id: chatId, seq: { $gt: page.after } }, pk, { chat_id: 1, seq: 1 }, page.limit + 1)
          : await findMessages({ chat_id: chatId, seq: { $lt: page.before ?? Number.MAX_SAFE_INTEGER } }, pk, { chat_id: -1, seq: -1 }, page.limit + 1);
      const has_more = rows.length > page.limit;
      return { messages: await decorate(rows.slice(0, page.limit), viewerId), has_more };
    },

    /** 2 round trips (4 for one's own message). */
    async message(chatId: string, seq: number, viewerId: string): Promise<MessageView | null> {
      const row = await messageAt(chatId, seq);
      return row ? (await decorate([row], viewerId))[0]! : null;
    },

    /**
     * The user's chats, most recent activity first; unread = last_seq − read_seq − own
     * messages after read_seq. Round trips: memberships (1), then chats, activity and
     * watermarks (3, parallel), sorted and paged here (all of the user's chats, as the
     * SQLite join does), then per chat of the page in parallel: the own-message count
     * and the last message (2) and its reactions (1) and, if it is the user's own, the
     * chat's members and watermarks (2). Depth: 4 sequential steps.
     */
    async inbox(userId: string, page: { limit: number; cursor?: string }): Promise<InboxPage | null> {
      const after = page.cursor === undefined ? null : decodeCursor(page.cursor);
      if (page.cursor !== undefined && after === null) return null;
      const mine = await membershipsOf(userId);
      const chatIds = mine.map((m) => m.chat_id);
      const [chatRows, activityRows, marks] = await Promise.all([
        chats().find({ chat_id: { $in: chatIds } }, NO_ID).toArray(),
        activity().find({ chat_id: { $in: chatIds } }, NO_ID).toArray(),
        watermarksOf(userId, chatIds),
      ]);
      const chatById = new Map(chatRows.map((c) => [c.chat_id, c]));
      const activityById = new Map(activityRows.map((a) => [a.chat_id, a]));
      const rows = mine
        .flatMap((m) => {
          const c = chatById.get(m.chat_id);
          const a = activityById.get(m.chat_id);
          return c && a ? [{ m, c, a }] : [];
        })
        .filter(({ m, a }) => after === null || byText(a.updated_at, after[0]) < 0 || (a.updated_at === after[0] && byText(m.chat_id, after[1]) < 0))
        .sort((x, y) => byText(y.a.updated_at, x.a.updated_at) || byText(y.m.chat_id, x.m.chat_id))
        .slice(0, page.limit + 1);
      const more = rows.length > page.limit;
      const chatsPage = await Promise.all(
        rows.slice(0, page.limit).map(async ({ m, c, a }): Promise<ChatSummary> => {
          const readSeq = marks.get(m.chat_id)?.read_seq ?? 0;
          const [own, last] = await Promise.all([
            ownAfter(m.chat_id, userId, readSeq),
            a.last_seq > 0 ? findMessages({ chat_id: m.chat_id, seq: a.last_seq }, ['chat_id', 'seq'], undefined, 1).then((r) => r[0]) : undefined,
          ]);
          return {
            chat_id: m.chat_id,
            chat_type: c.chat_type,
            ...(c.name != null && { name: c.name }),
            ...(m.peer_id != null && { peer_id: m.peer_id }),
            last_message: last ? (await decorate([last], userId))[0]! : null,
            last_seq: a.last_seq,
            read_seq: readSeq,
            unread_count: Math.max(0, a.last_seq - readSeq - own),
            updated_at: a.updated_at,
          };
        }),
      );
      const tail = chatsPage.at(-1);
      return { chats: chatsPage, next_cursor: more && tail ? encodeCursor(tail.updated_at, tail.chat_id) : null };
    },

    /** Every member's watermarks in the chat, by user. 2 round trips (parallel). */
    async receipts(chatId: string): Promise<ReceiptView[]> {
      const { ms, byUser } = await membersAndWatermarks(chatId);
      return ms
        .map((m) => ({ user_id: m.user_id, delivered_seq: byUser.get(m.user_id)?.delivered_seq ?? 0, read_seq: byUser.get(m.user_id)?.read_seq ?? 0 }))
        .sort((a, b) => byText(a.user_id, b.user_id));
    },

    /** Of `userIds`, those who share at least one chat with `userId` (sorted). 2 round trips. */
    async contactsAmong(userId: string, userIds: readonly string[]): Promise<string[]> {
      if (userIds.length === 0) return [];
      const chatIds = (await membershipsOf(userId)).map((m) => m.chat_id);
      if (chatIds.length === 0) return [];
      const rows = await members(['chat_id', 'user_id'])
        .find({ chat_id: { $in: chatIds }, user_id: { $in: [...userIds] } }, { projection: { _id: 0, user_id: 1 } })
        .toArray();
      return [...new Set(rows.map((r) => r.user_id))].sort(byText);
    },

    /** Users who have a direct chat with `userId`. 1 round trip. */
    directPeers: async (userId: string): Promise<string[]> =>
      (await members(['user_id']).find({ user_id: userId, peer_id: { $ne: null } }, { projection: { _id: 0, peer_id: 1 } }).toArray()).map(
        (r) => r.peer_id!,
      ),

    /** Every chat of the user with its counters, for `sync`. Round trips: 1, then 2 (parallel), then 1 per chat (parallel). */
    async chatsOf(userId: string): Promise<{ chat_id: string; last_seq: number; read_seq: number; unread_count: number }[]> {
      const chatIds = (await membershipsOf(userId)).map((m) => m.chat_id);
      const [activityRows, marks] = await Promise.all([activity().find({ chat_id: { $in: chatIds } }, NO_ID).toArray(), watermarksOf(userId, chatIds)]);
      const lastSeq = new Map(activityRows.map((a) => [a.chat_id, a.last_seq]));
      return Promise.all(
        chatIds.map(async (chatId) => {
          const last_seq = lastSeq.get(chatId) ?? 0;
          const read_seq = marks.get(chatId)?.read_seq ?? 0;
          const own = await ownAfter(chatId, userId, read_seq);
          return { chat_id: chatId, last_seq, read_seq, unread_count: Math.max(0, last_seq - read_seq - own) };
        }),
      );
    },
  };
};

export type MongoQueries = ReturnType<typeof createMongoQueries>;
