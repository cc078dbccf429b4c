import type { Session } from '../sessions/session.ts';

/** Who watches whom (`presence_subscribe`), so a presence change reaches exactly them. */
export const createPresenceWatchers = () => {
  const watchersOf = new Map<string, Set<Session>>();
  const watchedBy = new Map<Session, Set<string>>();
  return {
    watch(session: Session, userId: string) {
      let set = watchersOf.get(userId);
      if (!set) watchersOf.set(userId, (set = new Set()));
      set.add(session);
      let watched = watchedBy.get(session);
      if (!watched) watchedBy.set(session, (watched = new Set()));
      watched.add(userId);
    },
    of: (userId: string): ReadonlySet<Session> => watchersOf.get(userId) ?? new Set(),
    forget(session: Session) {
      for (const userId of watchedBy.get(session) ?? []) {
        const set = watchersOf.get(userId);
        set?.delete(session);
        if (set?.size === 0) watchersOf.delete(userId);
      }
      watchedBy.delete(session);
    },
  };
};

export type PresenceWatchers = ReturnType<typeof createPresenceWatchers>;
