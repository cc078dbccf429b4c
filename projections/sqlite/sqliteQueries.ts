import { decodeCursor, encodeCursor, toMessage, type MessageRow } from '../messageRow.ts';
import type { Statement } from 'better-sqlite3';
import type { SqliteReadStore } from './sqliteReadStore.ts';
import type { ChatInfo, ChatSummary, HistoryPage, InboxPage, MemberView, MessageView, ReceiptView } from '../views.ts';

const MESSAGE_COLUMNS = 'chat_id, seq, message_id, sender_id, client_msg_id, message_type, content, media_id, reply_to, timestamp, edited_at, deleted';

/** Rows come back as arrays (better-sqlite3's raw mode): building objects per row was most of a history read. */
const fromRaw = (r: unknown[]): MessageRow => ({
  chat_id: r[0] as string,
  seq: r[1] as number,
  message_id: r[2] as string,
  sender_id: r[3] as string,
  client_msg_id: r[4] as string,
  message_type: r[5] as string,
  content: r[6] as string,
  media_id: r[7] as string | null,
  reply_to: r[8] as string | null,
  timestamp: r[9] as string,
  edited_at: r[10] as string | null,
  deleted: r[11] as number,
});


/**
 * A LIMIT written into the SQL, not bound: SQLite 3.53 re-prepares a statement whose
 * LIMIT is a bound parameter every time it is bound again, i.e. on every run (perf:
 * `sqlite3Reprepare`, 7 % of the server's CPU in a REST history read). Page sizes are
 * few (the API allows 1..200): one cached statement each.
 */
const limitOf = (n: number): number => {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`not a row limit: ${n}`);
  return n;
};

export type HistoryPageRequest = { before?: number; after?: number; limit: number };
/**
 * A history page as the JSON text of its wire object (`HistoryPage`), read only if the
 * viewer is a member of the chat: null if not (or no such chat).
 */
export type HistoryJson = (chatId: string, viewerId: string, page: HistoryPageRequest) => string | null;

const historyJsonByQueries = new WeakMap<object, HistoryJson>();

/**
 * For the REST history route: the page `queries.history()` answers, as the text
 * `JSON.stringify` makes of it, written by SQLite itself. Turning 51 rows of 12 columns
 * into JS values (better-sqlite3 sets array elements one by one on Node 20) and then into
 * JSON was two fifths of the server's CPU in a history read. Undefined for queries that
 * cannot (other stores, or queries wrapped by the caller): answer `history()` then.
 */
export const historyJsonOf = (queries: object): HistoryJson | undefined => historyJsonByQueries.get(queries);

/**
 * The queries the API makes, against the live build of each read model. Table names
 * are resolved per call, so a rebuild's switch is seen by the next query. SQL is
 * prepared once per (query, table set), i.e. once per switch.
 */
export const createSqliteQueries = (readStore: Pick<SqliteReadStore, 'db' | 'table' | 'liveBuilds'>) => {
  const { db } = readStore;
  const cache = new Map<string, Statement<unknown[]>>();
  let cachedFor = readStore.liveBuilds();
  const t = (name: string, table: string) => `"${readStore.table(name, table)}"`;
  /**
   * The statement of query `key` against the live tables: SQL text built and prepared
   * only after a switch. Keyed by the text itself, every call built and hashed a
   * kilobyte of SQL (9 % of the server's CPU in a history read).
   */
  const sql = (key: string, build: () => string) => {
    const live = readStore.liveBuilds();
    if (live !== cachedFor) {
      cache.clear();
      cachedFor = live;
    }
    let statement = cache.get(key);
    if (!statement) {
      statement = db.prepare<unknown[]>(build());
      cache.set(key, statement);
    }
    return statement;
  };
  const messages = () => t('history', 'messages');
  const reactions = () => t('history', 'reactions');
  const chats = () => t('membership', 'chats');
  const members = () => t('membership', 'members');
  const activity = () => t('inbox', 'activity');
  const watermarks = () => t('receipts', 'watermarks');

  const reactionsOf = (chatId: string, fromSeq: number, toSeq: number) => {
    const rows = sql('reactions', () => `SELECT seq, emoji, user_id FROM ${reactions()} WHERE chat_id = ? AND seq BETWEEN ? AND ? ORDER BY seq, emoji, user_id`).all(
      chatId,
      fromSeq,
      toSeq,
    ) as { seq: number; emoji: string; user_id: string }[];
    const bySeq = new Map<number, Record<string, string[]>>();
    for (const r of rows) {
      const entry = bySeq.get(r.seq) ?? {};
      (entry[r.emoji] ??= []).push(r.user_id);
      bySeq.set(r.seq, entry);
    }
    return bySeq;
  };

  /** Lowest delivered and read watermark among the other members: the status of one's own messages. */
  const othersWatermarks = (chatId: string, userId: string) =>
    sql(
      'othersWatermarks',
      () => `SELECT COUNT(*) AS n, MIN(COALESCE(w.delivered_seq, 0)) AS delivered, MIN(COALESCE(w.read_seq, 0)) AS read
             FROM ${members()} m LEFT JOIN ${watermarks()} w ON w.chat_id = m.chat_id AND w.user_id = m.user_id
             WHERE m.chat_id = ? AND m.user_id <> ?`,
    ).get(chatId, userId) as { n: number; delivered: number | null; read: number | null };

  const decorate = (rows: MessageRow[], viewerId: string): MessageView[] => {
    if (rows.length === 0) return [];
    const seqs = rows.map((r) => r.seq);
    const chatId = rows[0]!.chat_id;
    const byReaction = reactionsOf(chatId, Math.min(...seqs), Math.max(...seqs));
    const hasOwn = rows.some((r) => r.sender_id === viewerId);
    const others = hasOwn ? othersWatermarks(chatId, viewerId) : undefined;
    return rows.map((r) => {
      const view = toMessage(r);
      const reacted = byReaction.get(r.seq);
      if (reacted) view.reactions = reacted;
      if (others && r.sender_id === viewerId)
        view.status = others.n > 0 && (others.read ?? 0) >= r.seq ? 'read' : others.n > 0 && (others.delivered ?? 0) >= r.seq ? 'delivered' : 'sent';
      return view;
    });
  };

  /** Message rows of a query selecting MESSAGE_COLUMNS. */
  const messageRows = (key: string, build: () => string, ...params: unknown[]): MessageRow[] =>
    (sql(key, build).raw(true).all(...params) as unknown[][]).map(fromRaw);

  const messageAt = (chatId: string, seq: number): MessageRow | undefined =>
    messageRows('messageAt', () => `SELECT ${MESSAGE_COLUMNS} FROM ${messages()} WHERE chat_id = ? AND seq = ?`, chatId, seq)[0];

  /**
   * SQL of the JSON text of message row `h` as `decorate` makes it for `@viewer`: the
   * text JSON.stringify gives, same keys in the same order (json_quote escapes strings
   * as JSON.stringify does). Reactions: users in user-id order under emoji keys in emoji
   * order (a JS object would put integer-like keys such as "1" first: same JSON value).
   * Status of the viewer's own messages: from `others`, the CTE of `othersWatermarks`.
   * One printf per row: chained || copied the growing text at every step.
   */
  const messageJson = () => `printf(
        '{"message_id":%s,"chat_id":%s,"seq":%d,"sender_id":%s,"message_type":%s,"content":%s'
          || '%s%s,"client_msg_id":%s,"timestamp":%s%s%s%s%s}',
        json_quote(h.message_id), json_quote(h.chat_id), h.seq, json_quote(h.sender_id), json_quote(h.message_type), json_quote(h.content),
        iif(h.media_id IS NULL, '', ',"media_id":' || json_quote(h.media_id)),
        iif(h.reply_to IS NULL, '', ',"reply_to":' || json_quote(h.reply_to)),
        json_quote(h.client_msg_id), json_quote(h.timestamp),
        iif(h.edited_at IS NULL, '', ',"edited_at":' || json_quote(h.edited_at)),
        iif(h.deleted = 1, ',"deleted":true', ''),
        CASE WHEN EXISTS (SELECT 1 FROM ${reactions()} r WHERE r.chat_id = h.chat_id AND r.seq = h.seq)
          THEN ',"reactions":' || (
            SELECT json_group_object(emoji, json(users) ORDER BY emoji)
            FROM (SELECT emoji, json_group_array(user_id ORDER BY user_id) AS users FROM ${reactions()} r
                  WHERE r.chat_id = h.chat_id AND r.seq = h.seq GROUP BY emoji))
          ELSE '' END,
        CASE WHEN h.sender_id = @viewer
          THEN (SELECT CASE WHEN n > 0 AND read >= h.seq THEN ',"status":"read"'
                            WHEN n > 0 AND delivered >= h.seq THEN ',"status":"delivered"'
                            ELSE ',"status":"sent"' END FROM others)
          ELSE '' END)`;
  const othersCte = () => `WITH others AS MATERIALIZED (
        SELECT COUNT(*) AS n, MIN(COALESCE(w.delivered_seq, 0)) AS delivered, MIN(COALESCE(w.read_seq, 0)) AS read
        FROM ${members()} m LEFT JOIN ${watermarks()} w ON w.chat_id = m.chat_id AND w.user_id = m.user_id
        WHERE m.chat_id = @chat AND m.user_id <> @viewer)`;

  const isMember = (chatId: string, userId: string): boolean =>
    sql('isMember', () => `SELECT 1 FROM ${members()} WHERE chat_id = ? AND user_id = ?`)
      .pluck(true)
      .get(chatId, userId) !== undefined;

  /**
   * `history()` as JSON text: the same rows (limit + 1 to learn has_more), one JSON text
   * each, and only for a member. The membership check rides in the same statement (one
   * read transaction instead of two); only an empty page needs a second look.
   */
  const historyJson: HistoryJson = (chatId, viewerId, page) => {
    const take = limitOf(page.limit + 1);
    const [where, order, cursor] = page.after !== undefined ? ['>', 'ASC', page.after] : ['<', 'DESC', page.before ?? Number.MAX_SAFE_INTEGER];
    // The chat's rows are reached through the viewer's membership row: its chat id is the
    // key of the primary-key range, NULL (nothing to read) for anyone else. Planned as
    // EXISTS, SQLite would join, then read and sort the whole chat; as a condition per row,
    // it would scan the whole chat for a non-member.
    const rows = sql(
      `historyJson ${order} ${take}`,
      () => `${othersCte()}
             SELECT ${messageJson()} FROM ${messages()} h
             WHERE h.chat_id = (SELECT chat_id FROM ${members()} WHERE chat_id = @chat AND user_id = @viewer)
               AND h.seq ${where} @cursor
             ORDER BY h.seq ${order} LIMIT ${take}`,
    )
      .pluck(true)
      .all({ chat: chatId, viewer: viewerId, cursor }) as string[];
    if (rows.length === 0 && !isMember(chatId, viewerId)) return null;
    const hasMore = rows.length > page.limit;
    if (hasMore) rows.length = page.limit;
    return `{"messages":[${rows.join(',')}],"has_more":${hasMore}}`;
  };

  const queries = {
    chat: (chatId: string): ChatInfo | null =>
      (sql('chat', () => `SELECT chat_id, chat_type, name FROM ${chats()} WHERE chat_id = ?`).get(chatId) as ChatInfo | undefined) ?? null,

    members: (chatId: string): MemberView[] =>
      sql('members', () => `SELECT user_id, role FROM ${members()} WHERE chat_id = ? ORDER BY joined_at, user_id`).all(chatId) as MemberView[],

    isMember,

    /** `before`: newest first below it; `after`: oldest first above it; neither: the newest. */
    history(chatId: string, viewerId: string, page: HistoryPageRequest): HistoryPage {
      const take = limitOf(page.limit + 1);
      const rows =
        page.after !== undefined
          ? messageRows(`history after ${take}`, () => `SELECT ${MESSAGE_COLUMNS} FROM ${messages()} WHERE chat_id = ? AND seq > ? ORDER BY seq ASC LIMIT ${take}`, chatId, page.after)
          : messageRows(
              `history before ${take}`,
              () => `SELECT ${MESSAGE_COLUMNS} FROM ${messages()} WHERE chat_id = ? AND seq < ? ORDER BY seq DESC LIMIT ${take}`,
              chatId,
              page.before ?? Number.MAX_SAFE_INTEGER,
            );
      const has_more = rows.length > page.limit;
      return { messages: decorate(rows.slice(0, page.limit), viewerId), has_more };
    },

    /** A message by its place (a message id is resolved through the log: its MessageSent event's id). */
    message(chatId: string, seq: number, viewerId: string): MessageView | null {
      const row = messageAt(chatId, seq);
      return row ? decorate([row], viewerId)[0]! : null;
    },

    /** The user's chats, most recent activity first; unread = messages after read_seq not sent by them. */
    inbox(userId: string, page: { limit: number; cursor?: string }): InboxPage | null {
      const after = page.cursor === undefined ? null : decodeCursor(page.cursor);
      if (page.cursor !== undefined && after === null) return null;
      const take = limitOf(page.limit + 1);
      const rows = sql(
        `inbox ${take}`,
        () => `SELECT m.chat_id, c.chat_type, c.name, m.peer_id, a.last_seq, a.updated_at,
                      COALESCE(w.read_seq, 0) AS read_seq,
                      a.last_seq - COALESCE(w.read_seq, 0)
                        - (SELECT COUNT(*) FROM ${messages()} h WHERE h.chat_id = m.chat_id AND h.sender_id = m.user_id AND h.seq > COALESCE(w.read_seq, 0))
                        AS unread_count
               FROM ${members()} m
               JOIN ${chats()} c ON c.chat_id = m.chat_id
               JOIN ${activity()} a ON a.chat_id = m.chat_id
               LEFT JOIN ${watermarks()} w ON w.chat_id = m.chat_id AND w.user_id = m.user_id
               WHERE m.user_id = ? AND (? IS NULL OR a.updated_at < ? OR (a.updated_at = ? AND m.chat_id < ?))
               ORDER BY a.updated_at DESC, m.chat_id DESC
               LIMIT ${take}`,
      ).all(userId, after?.[0] ?? null, after?.[0] ?? null, after?.[0] ?? null, after?.[1] ?? null) as (Omit<
        ChatSummary,
        'last_message'
      > & { name: string | null; peer_id: string | null })[];
      const more = rows.length > page.limit;
      const chatsPage = rows.slice(0, page.limit).map((r): ChatSummary => {
        const last = r.last_seq > 0 ? messageAt(r.chat_id, r.last_seq) : undefined;
        return {
          chat_id: r.chat_id,
          chat_type: r.chat_type,
          ...(r.name !== null && { name: r.name }),
          ...(r.peer_id !== null && { peer_id: r.peer_id }),
          last_message: last ? decorate([last], userId)[0]! : null,
          last_seq: r.last_seq,
          read_seq: r.read_seq,
          unread_count: Math.max(0, r.unread_count),
          updated_at: r.updated_at,
        };
      });
      const tail = chatsPage.at(-1);
      return { chats: chatsPage, next_cursor: more && tail ? encodeCursor(tail.updated_at, tail.chat_id) : null };
    },

    /** Every member's watermarks in the message's chat. */
    receipts(chatId: string): ReceiptView[] {
      return sql(
        'receipts',
        () => `SELECT m.user_id, COALESCE(w.delivered_seq, 0) AS delivered_seq, COALESCE(w.read_seq, 0) AS read_seq
               FROM ${members()} m LEFT JOIN ${watermarks()} w ON w.chat_id = m.chat_id AND w.user_id = m.user_id
               WHERE m.chat_id = ? ORDER BY m.user_id`,
      ).all(chatId) as ReceiptView[];
    },

    /** Of `userIds`, those who share at least one chat with `userId`. */
    contactsAmong(userId: string, userIds: readonly string[]): string[] {
      if (userIds.length === 0) return [];
      const rows = sql(
        'contactsAmong',
        () => `SELECT DISTINCT other.user_id FROM ${members()} me JOIN ${members()} other ON other.chat_id = me.chat_id
               WHERE me.user_id = ? AND other.user_id IN (SELECT value FROM json_each(?))`,
      ).all(userId, JSON.stringify(userIds)) as { user_id: string }[];
      return rows.map((r) => r.user_id);
    },

    /** Users who have a direct chat with `userId`: they see each other's presence unasked. */
    directPeers: (userId: string): string[] =>
      (sql('directPeers', () => `SELECT peer_id FROM ${members()} WHERE user_id = ? AND peer_id IS NOT NULL`).all(userId) as { peer_id: string }[]).map((r) => r.peer_id),

    /** Every chat of the user with its counters, for `sync`. */
    chatsOf(userId: string): { chat_id: string; last_seq: number; read_seq: number; unread_count: number }[] {
      return (
        sql(
          'chatsOf',
          () => `SELECT m.chat_id, COALESCE(a.last_seq, 0) AS last_seq, COALESCE(w.read_seq, 0) AS read_seq,
                        COALESCE(a.last_seq, 0) - COALESCE(w.read_seq, 0)
                          - (SELECT COUNT(*) FROM ${messages()} h WHERE h.chat_id = m.chat_id AND h.sender_id = m.user_id AND h.seq > COALESCE(w.read_seq, 0))
                          AS unread_count
                 FROM ${members()} m
                 LEFT JOIN ${activity()} a ON a.chat_id = m.chat_id
                 LEFT JOIN ${watermarks()} w ON w.chat_id = m.chat_id AND w.user_id = m.user_id
                 WHERE m.user_id = ?`,
        ).all(userId) as { chat_id: string; last_seq: number; read_seq: number; unread_count: number }[]
      ).map((r) => ({ ...r, unread_count: Math.max(0, r.unread_count) }));
    },

  };
  historyJsonByQueries.set(queries, historyJson);
  return queries;
};

export type ReadQueries = ReturnType<typeof createSqliteQueries>;
