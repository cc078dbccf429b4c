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
 * The queries the API makes, against the live build of each read model. Table names
 * are resolved per call, so a rebuild's switch is seen by the next query. SQL is
 * prepared once per (query, table set), i.e. once per switch.
 */
export const createSqliteQueries = (readStore: SqliteReadStore) => {
  const { db } = readStore;
  const cache = new Map<string, Statement<unknown[]>>();
  const t = (name: string, table: string) => `"${readStore.table(name, table)}"`;
  const sql = (build: () => string) => {
    const text = build();
    let statement = cache.get(text);
    if (!statement) {
      statement = db.prepare<unknown[]>(text);
      cache.set(text, statement);
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
    const rows = sql(() => `SELECT seq, emoji, user_id FROM ${reactions()} WHERE chat_id = ? AND seq BETWEEN ? AND ? ORDER BY seq, emoji, user_id`).all(
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
  const messageRows = (build: () => string, ...params: unknown[]): MessageRow[] =>
    (sql(build).raw(true).all(...params) as unknown[][]).map(fromRaw);

  const messageById = (messageId: string): MessageRow | undefined =>
    messageRows(() => `SELECT ${MESSAGE_COLUMNS} FROM ${messages()} WHERE message_id = ?`, messageId)[0];

  return {
    chat: (chatId: string): ChatInfo | null =>
      (sql(() => `SELECT chat_id, chat_type, name FROM ${chats()} WHERE chat_id = ?`).get(chatId) as ChatInfo | undefined) ?? null,

    members: (chatId: string): MemberView[] =>
      sql(() => `SELECT user_id, role FROM ${members()} WHERE chat_id = ? ORDER BY joined_at, user_id`).all(chatId) as MemberView[],

    isMember: (chatId: string, userId: string): boolean =>
      sql(() => `SELECT 1 FROM ${members()} WHERE chat_id = ? AND user_id = ?`).get(chatId, userId) !== undefined,

    /** `before`: newest first below it; `after`: oldest first above it; neither: the newest. */
    history(chatId: string, viewerId: string, page: { before?: number; after?: number; limit: number }): HistoryPage {
      const rows =
        page.after !== undefined
          ? messageRows(() => `SELECT ${MESSAGE_COLUMNS} FROM ${messages()} WHERE chat_id = ? AND seq > ? ORDER BY seq ASC LIMIT ?`, chatId, page.after, page.limit + 1)
          : messageRows(
              () => `SELECT ${MESSAGE_COLUMNS} FROM ${messages()} WHERE chat_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
              chatId,
              page.before ?? Number.MAX_SAFE_INTEGER,
              page.limit + 1,
            );
      const has_more = rows.length > page.limit;
      return { messages: decorate(rows.slice(0, page.limit), viewerId), has_more };
    },

    message(messageId: string, viewerId: string): MessageView | null {
      const row = messageById(messageId);
      return row ? decorate([row], viewerId)[0]! : null;
    },

    /** The user's chats, most recent activity first; unread = messages after read_seq not sent by them. */
    inbox(userId: string, page: { limit: number; cursor?: string }): InboxPage | null {
      const after = page.cursor === undefined ? null : decodeCursor(page.cursor);
      if (page.cursor !== undefined && after === null) return null;
      const rows = sql(
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
               LIMIT ?`,
      ).all(userId, after?.[0] ?? null, after?.[0] ?? null, after?.[0] ?? null, after?.[1] ?? null, page.limit + 1) as (Omit<
        ChatSummary,
        'last_message'
      > & { name: string | null; peer_id: string | null })[];
      const more = rows.length > page.limit;
      const chatsPage = rows.slice(0, page.limit).map((r): ChatSummary => {
        const last = r.last_seq > 0 ? messageRows(() => `SELECT ${MESSAGE_COLUMNS} FROM ${messages()} WHERE chat_id = ? AND seq = ?`, r.chat_id, r.last_seq)[0] : undefined;
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
        () => `SELECT m.user_id, COALESCE(w.delivered_seq, 0) AS delivered_seq, COALESCE(w.read_seq, 0) AS read_seq
               FROM ${members()} m LEFT JOIN ${watermarks()} w ON w.chat_id = m.chat_id AND w.user_id = m.user_id
               WHERE m.chat_id = ? ORDER BY m.user_id`,
      ).all(chatId) as ReceiptView[];
    },

    /** Of `userIds`, those who share at least one chat with `userId`. */
    contactsAmong(userId: string, userIds: readonly string[]): string[] {
      if (userIds.length === 0) return [];
      const rows = sql(
        () => `SELECT DISTINCT other.user_id FROM ${members()} me JOIN ${members()} other ON other.chat_id = me.chat_id
               WHERE me.user_id = ? AND other.user_id IN (SELECT value FROM json_each(?))`,
      ).all(userId, JSON.stringify(userIds)) as { user_id: string }[];
      return rows.map((r) => r.user_id);
    },

    /** Users who have a direct chat with `userId`: they see each other's presence unasked. */
    directPeers: (userId: string): string[] =>
      (sql(() => `SELECT peer_id FROM ${members()} WHERE user_id = ? AND peer_id IS NOT NULL`).all(userId) as { peer_id: string }[]).map((r) => r.peer_id),

    /** Every chat of the user with its counters, for `sync`. */
    chatsOf(userId: string): { chat_id: string; last_seq: number; read_seq: number; unread_count: number }[] {
      return (
        sql(
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

    /** Chat of a message, for authorization of message-addressed routes. */
    chatOfMessage: (messageId: string): { chat_id: string; seq: number; sender_id: string } | null => {
      const row = messageById(messageId);
      return row ? { chat_id: row.chat_id, seq: row.seq, sender_id: row.sender_id } : null;
    },
  };
};

export type ReadQueries = ReturnType<typeof createSqliteQueries>;
