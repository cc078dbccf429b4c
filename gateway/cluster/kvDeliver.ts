import type { KvStore } from '../../kv/kvStore.ts';
import type { Deliver, Delivery } from './delivery.ts';
import { nodeChannel, userNodesKey } from './nodeKeys.ts';

/**
 * Delivery across nodes: finds the nodes holding each user's sessions (the session
 * registry: `user-nodes:<user>`, refreshed by the gateways' heartbeats) and publishes
 * one message per node with that node's share of the batch. A user offline everywhere
 * costs one lookup and nothing else: they catch up by sync when they come back.
 */
export const kvDeliver =
  (kv: KvStore): Deliver =>
  async (deliveries) => {
    const users = new Set<string>();
    for (const d of deliveries) for (const u of d.users) users.add(u);
    const nodesOf = new Map<string, string[]>();
    await Promise.all([...users].map(async (u) => nodesOf.set(u, await kv.liveMembers(userNodesKey(u)))));

    const perNode = new Map<string, Delivery[]>();
    for (const d of deliveries) {
      const usersByNode = new Map<string, string[]>();
      for (const u of d.users) for (const node of nodesOf.get(u) ?? []) (usersByNode.get(node) ?? usersByNode.set(node, []).get(node)!).push(u);
      for (const [node, nodeUsers] of usersByNode) {
        const list = perNode.get(node) ?? perNode.set(node, []).get(node)!;
        list.push({ users: nodeUsers, json: d.json, ...(d.messageId !== undefined && { messageId: d.messageId }) });
      }
    }
    await Promise.all([...perNode].map(([node, list]) => kv.publish(nodeChannel(node), JSON.stringify(list))));
  };

/** The receiving end: this node's channel, handed to its sessions. */
export const subscribeNodeChannel = (kv: KvStore, nodeId: string, local: (deliveries: readonly Delivery[]) => void) =>
  kv.subscribe(nodeChannel(nodeId), (message) => {
    try {
      local(JSON.parse(message) as Delivery[]);
    } catch (e) {
      console.error('bad delivery message', e);
    }
  });
