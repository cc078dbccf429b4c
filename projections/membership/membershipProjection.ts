import type { DomainEvent } from '../../domain/events.ts';
import type { Projection } from '../projection.ts';
import { patch, put, remove, type Write } from '../write.ts';

/** Chats and their members (with roles): every authorization check of the read side. */
export const membershipProjection: Projection = {
  name: 'membership',
  version: 1,
  tables: {
    chats: {
      columns: { chat_id: 'text', chat_type: 'text', name: 'text', created_by: 'text', created_at: 'text' },
      primaryKey: ['chat_id'],
    },
    members: {
      columns: { chat_id: 'text', user_id: 'text', role: 'text', joined_at: 'text', peer_id: 'text' },
      primaryKey: ['chat_id', 'user_id'],
      indexes: [['user_id']],
    },
  },
  project(event: DomainEvent): Write[] {
    switch (event.type) {
      case 'ChatCreated': {
        const { chatId, chatType, name, members, createdBy, at } = event.data;
        const peerOf = (userId: string) =>
          chatType === 'direct' ? (members.find((m) => m.userId !== userId)?.userId ?? null) : null;
        return [
          put('chats', { chat_id: chatId, chat_type: chatType, name, created_by: createdBy, created_at: at }),
          ...members.map((m) =>
            put('members', { chat_id: chatId, user_id: m.userId, role: m.role, joined_at: at, peer_id: peerOf(m.userId) }),
          ),
        ];
      }
      case 'MemberAdded': {
        const { chatId, userId, role, at } = event.data;
        return [put('members', { chat_id: chatId, user_id: userId, role, joined_at: at, peer_id: null })];
      }
      case 'MemberRemoved':
        return [remove('members', { chat_id: event.data.chatId, user_id: event.data.userId })];
      case 'MemberPromoted':
        return [patch('members', { chat_id: event.data.chatId, user_id: event.data.userId }, { role: 'admin' })];
      default:
        return [];
    }
  },
};
