import { describe, expect, it } from 'vitest';
import { createInMemoryKvStore } from '../../kv/inMemory/inMemoryKvStore.ts';
import type { Delivery } from './delivery.ts';
import { kvDeliver, subscribeNodeChannel } from './kvDeliver.ts';
import { userNodesKey } from './nodeKeys.ts';

describe('delivery across nodes through the KV store', () => {
  it("sends each node only its users' share of a batch, one message per node, and nothing for users online nowhere", async () => {
    const kv = createInMemoryKvStore();
    const got: Record<string, Delivery[][]> = { a: [], b: [] };
    await subscribeNodeChannel(kv, 'a', (d) => got.a!.push([...d]));
    await subscribeNodeChannel(kv, 'b', (d) => got.b!.push([...d]));
    await kv.touchMember(userNodesKey('ann'), 'a', 10_000);
    await kv.touchMember(userNodesKey('bob'), 'b', 10_000);
    await kv.touchMember(userNodesKey('cy'), 'a', 10_000);
    await kv.touchMember(userNodesKey('cy'), 'b', 10_000); // two devices on two nodes

    await kvDeliver(kv)([
      { users: ['ann', 'bob', 'cy', 'dora'], json: '{"m":1}', messageId: 'm1' },
      { users: ['bob'], json: '{"r":1}' },
    ]);
    await new Promise((r) => setTimeout(r, 5));

    expect(got.a).toEqual([[{ users: ['ann', 'cy'], json: '{"m":1}', messageId: 'm1' }]]);
    expect(got.b).toEqual([[{ users: ['bob', 'cy'], json: '{"m":1}', messageId: 'm1' }, { users: ['bob'], json: '{"r":1}' }]]);
  });
});
