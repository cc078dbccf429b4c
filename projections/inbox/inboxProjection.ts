import type { DomainEvent } from '../../domain/events.ts';
import type { Projection } from '../projection.ts';
import { put, type Write } from '../write.ts';

/**
 * Last activity per chat. The inbox of a user is their memberships joined with this,
 * most recent first: one row written per message, not one per member, so a message to
 * a 500-member group costs one write. Unread counts are derived at query time from
 * `last_seq`, the user's read watermark and their own messages after it.
 */
export const inboxProjection: Projection = {
  name: 'inbox',
  version: 1,
  tables: {
    activity: {
      columns: { chat_id: 'text', last_seq: 'integer', last_message_id: 'text', updated_at: 'text' },
      primaryKey: ['chat_id'],
      indexes: [['updated_at']],
    },
  },
  project(event: DomainEvent): Write[] {
    switch (event.type) {
      case 'ChatCreated':
        return [put('activity', { chat_id: event.data.chatId, last_seq: 0, last_message_id: null, updated_at: event.data.at })];
      case 'MessageSent': {
        const { chatId, seq, messageId, at } = event.data;
        return [put('activity', { chat_id: chatId, last_seq: seq, last_message_id: messageId, updated_at: at })];
      }
      default:
        return [];
    }
  },
};
