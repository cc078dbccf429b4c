import type { Session } from './session.ts';

/** The sessions on this node, by user: where the delivery router sends frames. */
export const createSessionRegistry = () => {
  const byUser = new Map<string, Set<Session>>();
  let count = 0;
  return {
    add(session: Session) {
      let set = byUser.get(session.userId);
      if (!set) byUser.set(session.userId, (set = new Set()));
      set.add(session);
      count++;
    },
    /** Returns how many sessions the user still has here. */
    remove(session: Session): number {
      const set = byUser.get(session.userId);
      if (!set?.delete(session)) return set?.size ?? 0;
      count--;
      if (set.size === 0) byUser.delete(session.userId);
      return set.size;
    },
    of: (userId: string): ReadonlySet<Session> => byUser.get(userId) ?? new Set(),
    all: function* () {
      for (const set of byUser.values()) yield* set;
    },
    get size() {
      return count;
    },
  };
};

export type SessionRegistry = ReturnType<typeof createSessionRegistry>;
