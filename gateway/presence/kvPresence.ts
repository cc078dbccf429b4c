import type { KvStore } from '../../kv/kvStore.ts';
import { lastSeenKey, PRESENCE_CHANNEL, userNodesKey } from '../cluster/nodeKeys.ts';
import type { Presence, PresenceFactory } from './presence.ts';
import type { PresenceView } from './presenceRegistry.ts';

/**
 * Presence shared by every gateway node through the KV store (Redis). A user is online
 * while some node lists them in `user-nodes:<user>`; each node refreshes its users there
 * on every heartbeat with a TTL, so the users of a crashed node go offline when the TTL
 * lapses, and a Redis that lost its data is refilled within one heartbeat. The same set
 * is the session registry the routers use to find a user's nodes.
 *
 * Flips (first session anywhere, last one gone after the grace period) are published on
 * one channel; every node, this one included, tells its own watchers.
 */
export const kvPresence =
  ({
    kv,
    nodeId,
    ttlMs,
    graceMs,
    now = () => new Date(),
    onError = (e: unknown) => console.warn('presence:', String(e)),
  }: {
    kv: KvStore;
    nodeId: string;
    ttlMs: number;
    graceMs: number;
    now?: () => Date;
    onError?: (e: unknown) => void;
  }): PresenceFactory =>
  (onChange): Presence & { ready: Promise<unknown> } => {
    const local = new Map<string, number>();
    const pendingOffline = new Map<string, NodeJS.Timeout>();
    let stopped = false;

    const unsubscribe = kv.subscribe(PRESENCE_CHANNEL, (message) => {
      try {
        onChange(JSON.parse(message) as PresenceView);
      } catch (e) {
        onError(e);
      }
    });
    unsubscribe.catch(onError);

    const publish = (view: PresenceView) => kv.publish(PRESENCE_CHANNEL, JSON.stringify(view));
    const guard = (work: Promise<unknown>) => void work.catch(onError);

    const goOnline = async (userId: string) => {
      const elsewhere = (await kv.liveMembers(userNodesKey(userId))).filter((n) => n !== nodeId);
      await kv.touchMember(userNodesKey(userId), nodeId, ttlMs);
      if (elsewhere.length === 0) await publish({ user_id: userId, status: 'online', last_seen: now().toISOString() });
    };

    const goOffline = async (userId: string) => {
      const at = now().toISOString();
      await kv.removeMember(userNodesKey(userId), nodeId);
      await kv.set(lastSeenKey(userId), at);
      if ((await kv.liveMembers(userNodesKey(userId))).length === 0) await publish({ user_id: userId, status: 'offline', last_seen: at });
    };

    return {
      ready: unsubscribe,
      opened(userId) {
        local.set(userId, (local.get(userId) ?? 0) + 1);
        const pending = pendingOffline.get(userId);
        if (pending) {
          clearTimeout(pending);
          pendingOffline.delete(userId);
          return;
        }
        if (local.get(userId) === 1) guard(goOnline(userId));
      },
      closed(userId) {
        const left = (local.get(userId) ?? 1) - 1;
        if (left > 0) return void local.set(userId, left);
        local.delete(userId);
        if (stopped) return;
        const timer = setTimeout(() => {
          pendingOffline.delete(userId);
          if (!local.has(userId)) guard(goOffline(userId));
        }, graceMs);
        timer.unref();
        pendingOffline.set(userId, timer);
      },
      async view(userId) {
        if (local.has(userId) || pendingOffline.has(userId)) return { user_id: userId, status: 'online', last_seen: now().toISOString() };
        if ((await kv.liveMembers(userNodesKey(userId))).length > 0) return { user_id: userId, status: 'online', last_seen: now().toISOString() };
        return { user_id: userId, status: 'offline', last_seen: await kv.get(lastSeenKey(userId)) };
      },
      heartbeat(userIds) {
        for (const userId of new Set([...userIds, ...pendingOffline.keys()])) guard(kv.touchMember(userNodesKey(userId), nodeId, ttlMs));
      },
      async stop() {
        stopped = true;
        for (const t of pendingOffline.values()) clearTimeout(t);
        const leaving = [...new Set([...local.keys(), ...pendingOffline.keys()])];
        pendingOffline.clear();
        await Promise.all(leaving.map((u) => goOffline(u).catch(onError)));
        await (await unsubscribe.catch(() => async () => {}))();
      },
    };
  };
