import { Map as IMap, OrderedMap, Set as ISet } from 'immutable';
import type { ChatType, Role } from '../events.ts';

/**
 * What the decider needs to know about one chat, folded from its stream. Persistent
 * (immutable) collections keep `evolve` pure and O(log n), so a batch of commands can
 * be decided on a working copy that is simply dropped if its append fails.
 * Per-message facts are kept only for messages that have any (deleted, reacted).
 */
export type ActiveChat = {
  status: 'active';
  chatId: string;
  chatType: ChatType;
  name: string | null;
  /** In join order: the longest-standing member comes first. */
  members: OrderedMap<string, Role>;
  lastSeq: number;
  deleted: ISet<number>;
  /** seq → emoji → users who reacted. */
  reactions: IMap<number, IMap<string, ISet<string>>>;
};

export type ChatState = { status: 'none' } | ActiveChat;

export const initialState = (): ChatState => ({ status: 'none' });

/** Plain-data view for comparisons and debugging. */
export const chatStateToJSON = (state: ChatState): unknown =>
  state.status === 'none'
    ? state
    : {
        ...state,
        members: state.members.toArray(),
        deleted: state.deleted.toArray().sort((a, b) => a - b),
        reactions: state.reactions
          .toArray()
          .sort(([a], [b]) => a - b)
          .map(([seq, byEmoji]) => [
            seq,
            byEmoji
              .toArray()
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([emoji, users]) => [emoji, users.toArray().sort()]),
          ]),
      };
