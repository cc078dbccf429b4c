import { describeWithServer } from '../../testing/servers/serverOrSkip.ts';
import { startRedis } from '../../testing/servers/startRedis.ts';
import { kvStoreContract } from '../contract/kvStoreContract.ts';
import type { KvStore } from '../kvStore.ts';
import { createRedisKvStore } from './redisKvStore.ts';

describeWithServer('redis', startRedis, (server) => {
  kvStoreContract('redis', async () => {
    const stores: KvStore[] = [createRedisKvStore(server().url)];
    return {
      store: stores[0]!,
      another: async () => {
        const other = createRedisKvStore(server().url);
        stores.push(other);
        return other;
      },
      cleanup: async () => void (await Promise.all(stores.map((s) => s.close()))),
    };
  });
});
