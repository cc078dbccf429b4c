import { Map as IMap, OrderedMap, Set as ISet } from 'immutable';
import type { ChatEvent } from '../events.ts';
import type { ActiveChat, ChatState } from './state.ts';

const active = (state: ChatState, event: ChatEvent): ActiveChat => {
  if (state.status !== 'active') throw new Error(`${event.type} before ChatCreated in ${event.data.chatId}`);
  return state;
};

export const evolve = (state: ChatState, event: ChatEvent): ChatState => {
  switch (event.type) {
    case 'ChatCreated': {
      const { chatId, chatType, name, members } = event.data;
      return {
        status: 'active',
        chatId,
        chatType,
        name,
        members: OrderedMap(members.map((m) => [m.userId, m.role] as const)),
        lastSeq: 0,
        deleted: ISet(),
        reactions: IMap(),
      };
    }
    case 'MemberAdded': {
      const s = active(state, event);
      return { ...s, members: s.members.set(event.data.userId, event.data.role) };
    }
    case 'MemberRemoved': {
      const s = active(state, event);
      return { ...s, members: s.members.delete(event.data.userId) };
    }
    case 'MemberPromoted': {
      const s = active(state, event);
      return { ...s, members: s.members.set(event.data.userId, 'admin') };
    }
    case 'MessageSent': {
      const s = active(state, event);
      return { ...s, lastSeq: event.data.seq };
    }
    case 'MessageEdited':
      return active(state, event);
    case 'MessageDeleted': {
      const s = active(state, event);
      // A deleted message keeps no reactions.
      return { ...s, deleted: s.deleted.add(event.data.seq), reactions: s.reactions.delete(event.data.seq) };
    }
    case 'ReactionAdded': {
      const s = active(state, event);
      const { seq, emoji, userId } = event.data;
      return { ...s, reactions: s.reactions.updateIn([seq, emoji], (users) => ((users as ISet<string>) ?? ISet()).add(userId)) as ActiveChat['reactions'] };
    }
    case 'ReactionRemoved': {
      const s = active(state, event);
      const { seq, emoji, userId } = event.data;
      const users = s.reactions.getIn([seq, emoji]) as ISet<string> | undefined;
      if (!users) return s;
      const left = users.delete(userId);
      let reactions = left.size ? s.reactions.setIn([seq, emoji], left) : s.reactions.deleteIn([seq, emoji]);
      if (reactions.get(seq)?.size === 0) reactions = reactions.delete(seq);
      return { ...s, reactions };
    }
  }
};
