import type { ChatState } from '../domain/chat/state.ts';
import type { GroupView } from './createGroup.ts';

export const groupViewOf = (state: ChatState, position: bigint): GroupView | null =>
  state.status === 'active' && state.chatType === 'group'
    ? {
        chatId: state.chatId,
        name: state.name ?? '',
        members: state.members.toArray().map(([userId, role]) => ({ userId, role })),
        position,
      }
    : null;
