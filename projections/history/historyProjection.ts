import type { DomainEvent } from '../../domain/events.ts';
import type { Projection } from '../projection.ts';
import { patch, put, remove, type Write } from '../write.ts';

/** Message history per chat by seq, with edits, deletes and reactions. */
export const historyProjection: Projection = {
  name: 'history',
  version: 1,
  tables: {
    messages: {
      columns: {
        chat_id: 'text',
        seq: 'integer',
        message_id: 'text',
        sender_id: 'text',
        client_msg_id: 'text',
        message_type: 'text',
        content: 'text',
        media_id: 'text',
        reply_to: 'text',
        timestamp: 'text',
        edited_at: 'text',
        deleted: 'integer',
      },
      primaryKey: ['chat_id', 'seq'],
      // Own messages after a seq (unread counts); media access. Not by message id: the log
      // resolves those (the id is its MessageSent event's), and the index cost the writer
      // 12–18 µs of its ≈ 50 per message.
      indexes: [['chat_id', 'sender_id', 'seq'], ['media_id']],
      // Most messages have no media: their rows stay out of the media_id index.
      sparse: ['media_id'],
    },
    reactions: {
      columns: { chat_id: 'text', seq: 'integer', emoji: 'text', user_id: 'text' },
      primaryKey: ['chat_id', 'seq', 'emoji', 'user_id'],
    },
  },
  project(event: DomainEvent): Write[] {
    switch (event.type) {
      case 'MessageSent': {
        const d = event.data;
        return [
          put('messages', {
            chat_id: d.chatId,
            seq: d.seq,
            message_id: d.messageId,
            sender_id: d.senderId,
            client_msg_id: d.clientMsgId,
            message_type: d.messageType,
            content: d.content,
            media_id: d.mediaId ?? null,
            reply_to: d.replyTo ?? null,
            timestamp: d.at,
            edited_at: null,
            deleted: 0,
          }),
        ];
      }
      case 'MessageEdited':
        return [patch('messages', { chat_id: event.data.chatId, seq: event.data.seq }, { content: event.data.content, edited_at: event.data.at })];
      case 'MessageDeleted': {
        const key = { chat_id: event.data.chatId, seq: event.data.seq };
        return [patch('messages', key, { content: '', deleted: 1 }), remove('reactions', key)];
      }
      case 'ReactionAdded':
      case 'ReactionRemoved': {
        const { chatId, seq, emoji, userId } = event.data;
        const row = { chat_id: chatId, seq, emoji, user_id: userId };
        return [event.type === 'ReactionAdded' ? put('reactions', row) : remove('reactions', row)];
      }
      default:
        return [];
    }
  },
};
