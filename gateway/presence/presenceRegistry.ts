export type PresenceView = { user_id: string; status: 'online' | 'offline'; last_seen: string | null };

/**
 * Who is online on this node: a user is online while at least one session is open.
 * `last_seen` is when the last session closed (or now, while online). The gateway
 * opens and closes sessions here; REST reads it.
 */
export const createPresenceRegistry = (now: () => Date = () => new Date()) => {
  const sessions = new Map<string, number>();
  const lastSeen = new Map<string, string>();
  return {
    opened(userId: string) {
      sessions.set(userId, (sessions.get(userId) ?? 0) + 1);
    },
    closed(userId: string) {
      const left = (sessions.get(userId) ?? 1) - 1;
      if (left > 0) sessions.set(userId, left);
      else sessions.delete(userId);
      lastSeen.set(userId, now().toISOString());
    },
    isOnline: (userId: string) => sessions.has(userId),
    view(userId: string): PresenceView {
      const online = sessions.has(userId);
      return { user_id: userId, status: online ? 'online' : 'offline', last_seen: online ? now().toISOString() : (lastSeen.get(userId) ?? null) };
    },
  };
};

export type PresenceRegistry = ReturnType<typeof createPresenceRegistry>;
