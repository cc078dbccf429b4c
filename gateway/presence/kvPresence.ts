import { randomUUID } from 'node:crypto';
import type { KvStore } from '../../kv/kvStore.ts';
import { lapseClaimKey, lastSeenKey, NODES_ALIVE, NODES_SEEN, nodeUsersKey, PRESENCE_CHANNEL, userNodesKey } from '../cluster/nodeKeys.ts';
import type { Presence, PresenceFactory } from './presence.ts';
import type { PresenceView } from './presenceRegistry.ts';

/** How long a crashed incarnation's user list is kept, and how often a connected user's entry is refreshed. */
const LISTED_MS = 24 * 3_600_000;
const LISTED_REFRESH_MS = 3_600_000;

/**
 * Presence shared by every gateway node through the KV store (Redis). A user is online
 * while some node lists them in `user-nodes:<user>`; each node refreshes its users there
 * on every heartbeat with a TTL, so the users of a crashed node go offline when the TTL
 * lapses, and a Redis that lost its data is refilled within one heartbeat. The same set
 * is the session registry the routers use to find a user's nodes.
 *
 * Flips (first session anywhere, last one gone after the grace period) are published on
 * one channel; every node, this one included, tells its own watchers.
 *
 * A node that crashes cannot publish its users' offline flips, so the others do: each
 * incarnation of a node beats in `gateway-nodes:alive` and lists its users in
 * `node-users:<incarnation>`; on every heartbeat a node looks for incarnations seen but no
 * longer beating, and the first to claim one announces its users that are online nowhere
 * else (`last_seen`: when the lapse was noticed, within a heartbeat of the TTL).
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
    const incarnation = `${nodeId}:${randomUUID()}`;
    const local = new Map<string, number>();
    /** When each local user was last listed in this incarnation's `node-users` (refreshed hourly, kept a day). */
    const listedAt = new Map<string, number>();
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

    const list = (userId: string) => {
      listedAt.set(userId, Date.now());
      return kv.touchMember(nodeUsersKey(incarnation), userId, LISTED_MS);
    };

    const goOnline = async (userId: string) => {
      const elsewhere = (await kv.liveMembers(userNodesKey(userId))).filter((n) => n !== nodeId);
      await kv.touchMember(userNodesKey(userId), nodeId, ttlMs);
      await list(userId);
      if (elsewhere.length === 0) await publish({ user_id: userId, status: 'online', last_seen: now().toISOString() });
    };

    const goOffline = async (userId: string) => {
      const at = now().toISOString();
      await kv.removeMember(userNodesKey(userId), nodeId);
      listedAt.delete(userId);
      await kv.removeMember(nodeUsersKey(incarnation), userId);
      await kv.set(lastSeenKey(userId), at);
      if ((await kv.liveMembers(userNodesKey(userId))).length === 0) await publish({ user_id: userId, status: 'offline', last_seen: at });
    };

    /** The users of incarnations that stopped beating, announced offline once (by whichever node claims it first). */
    const announceLapsed = async () => {
      const alive = new Set(await kv.liveMembers(NODES_ALIVE));
      for (const dead of (await kv.liveMembers(NODES_SEEN)).filter((n) => !alive.has(n) && n !== incarnation)) {
        if ((await kv.incrBy(lapseClaimKey(dead), 1)) !== 1) continue;
        await kv.set(lapseClaimKey(dead), '1', { ttlMs: LISTED_MS });
        for (const userId of await kv.liveMembers(nodeUsersKey(dead))) {
          if ((await kv.liveMembers(userNodesKey(userId))).length > 0) continue; // online elsewhere, or back already
          const at = now().toISOString();
          await kv.set(lastSeenKey(userId), at);
          await publish({ user_id: userId, status: 'offline', last_seen: at });
        }
        await kv.del(nodeUsersKey(dead));
        await kv.removeMember(NODES_SEEN, dead);
      }
    };

    const beat = () => {
      guard(kv.touchMember(NODES_SEEN, incarnation, LISTED_MS));
      guard(kv.touchMember(NODES_ALIVE, incarnation, ttlMs));
    };
    beat();

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
        const t = Date.now();
        for (const userId of new Set([...userIds, ...pendingOffline.keys()])) {
          guard(kv.touchMember(userNodesKey(userId), nodeId, ttlMs));
          if (t - (listedAt.get(userId) ?? -Infinity) > LISTED_REFRESH_MS) guard(list(userId));
        }
        // After the users' touches, on the same connection: when this beat has lapsed, so have they.
        beat();
        guard(announceLapsed());
      },
      async stop() {
        stopped = true;
        for (const t of pendingOffline.values()) clearTimeout(t);
        const leaving = [...new Set([...local.keys(), ...pendingOffline.keys()])];
        pendingOffline.clear();
        await Promise.all(leaving.map((u) => goOffline(u).catch(onError)));
        // Stopped, not crashed: no one needs to announce this incarnation's users.
        await Promise.all([kv.removeMember(NODES_ALIVE, incarnation), kv.removeMember(NODES_SEEN, incarnation), kv.del(nodeUsersKey(incarnation))]).catch(onError);
        await (await unsubscribe.catch(() => async () => {}))();
      },
    };
  };
