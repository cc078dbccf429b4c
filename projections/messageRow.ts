import type { MessageView } from './views.ts';

/** A row of the history read model, whichever store holds it. */
export type MessageRow = {
  chat_id: string;
  seq: number;
  message_id: string;
  sender_id: string;
  client_msg_id: string;
  message_type: string;
  content: string;
  media_id: string | null;
  reply_to: string | null;
  timestamp: string;
  edited_at: string | null;
  deleted: number;
};

/** The protocol's message object: optional fields only where they apply (a missing column counts as null). */
export const toMessage = (r: MessageRow): MessageView => ({
  message_id: r.message_id,
  chat_id: r.chat_id,
  seq: r.seq,
  sender_id: r.sender_id,
  message_type: r.message_type,
  content: r.content,
  ...(r.media_id != null && { media_id: r.media_id }),
  ...(r.reply_to != null && { reply_to: r.reply_to }),
  client_msg_id: r.client_msg_id,
  timestamp: r.timestamp,
  ...(r.edited_at != null && { edited_at: r.edited_at }),
  ...(r.deleted === 1 && { deleted: true as const }),
});

/** Inbox paging cursor: the last row's (updated_at, chat_id). */
export const encodeCursor = (updatedAt: string, chatId: string) => Buffer.from(`${updatedAt}\n${chatId}`).toString('base64url');
export const decodeCursor = (cursor: string): [string, string] | null => {
  const [updatedAt, chatId, ...rest] = Buffer.from(cursor, 'base64url').toString().split('\n');
  return updatedAt && chatId && rest.length === 0 ? [updatedAt, chatId] : null;
};
