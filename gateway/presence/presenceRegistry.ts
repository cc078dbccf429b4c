export type PresenceView = { user_id: string; status: 'online' | 'offline'; last_seen: string | null };

/**
 * Who is online on this node. A user is online while at least one session is open,
 * and stays so for `graceMs` after the last closes, so a quick reconnect does not flap.
 * `onChange` hears each real flip; `last_seen` is when the user was last connected.
 */
export const createPresenceRegistry = ({
  graceMs = 5_000,
  now = () => new Date(),
  onChange = () => {},
}: { graceMs?: number; now?: () => Date; onChange?: (view: PresenceView) => void } = {}) => {
  const sessions = new Map<string, number>();
  const lastSeen = new Map<string, string>();
  const pendingOffline = new Map<string, NodeJS.Timeout>();
  let stopped = false;

  const view = (userId: string): PresenceView => {
    const online = sessions.has(userId) || pendingOffline.has(userId);
    return { user_id: userId, status: online ? 'online' : 'offline', last_seen: online ? now().toISOString() : (lastSeen.get(userId) ?? null) };
  };

  return {
    opened(userId: string) {
      const wasOnline = sessions.has(userId) || pendingOffline.has(userId);
      clearTimeout(pendingOffline.get(userId));
      pendingOffline.delete(userId);
      sessions.set(userId, (sessions.get(userId) ?? 0) + 1);
      if (!wasOnline) onChange(view(userId));
    },
    closed(userId: string) {
      const left = (sessions.get(userId) ?? 1) - 1;
      if (left > 0) return void sessions.set(userId, left);
      sessions.delete(userId);
      lastSeen.set(userId, now().toISOString());
      if (stopped) return; // shutting down: nobody is left to tell
      const timer = setTimeout(() => {
        pendingOffline.delete(userId);
        if (!sessions.has(userId)) onChange(view(userId));
      }, graceMs);
      timer.unref();
      pendingOffline.set(userId, timer);
    },
    isOnline: (userId: string) => sessions.has(userId) || pendingOffline.has(userId),
    view,
    /** Stops pending timers (shutdown). */
    stop() {
      stopped = true;
      for (const t of pendingOffline.values()) clearTimeout(t);
      pendingOffline.clear();
    },
  };
};

export type PresenceRegistry = ReturnType<typeof createPresenceRegistry>;
