import type { DomainEvent } from '../../domain/events.ts';
import type { Projection } from '../projection.ts';
import { upsert, type Write } from '../write.ts';

/** Delivered and read watermarks per user and chat: max-merged, so replays are harmless. */
export const receiptsProjection: Projection = {
  name: 'receipts',
  version: 1,
  tables: {
    watermarks: {
      columns: { chat_id: 'text', user_id: 'text', delivered_seq: 'integer', read_seq: 'integer' },
      primaryKey: ['chat_id', 'user_id'],
    },
  },
  project(event: DomainEvent): Write[] {
    switch (event.type) {
      case 'DeliveredUpTo': {
        const { chatId, userId, seq } = event.data;
        return [upsert('watermarks', { chat_id: chatId, user_id: userId }, { max: { delivered_seq: seq } })];
      }
      case 'ReadUpTo': {
        const { chatId, userId, seq } = event.data;
        // Reading implies delivery.
        return [upsert('watermarks', { chat_id: chatId, user_id: userId }, { max: { delivered_seq: seq, read_seq: seq } })];
      }
      default:
        return [];
    }
  },
};
