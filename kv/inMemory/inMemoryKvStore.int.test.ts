import { kvStoreContract } from '../contract/kvStoreContract.ts';
import { createInMemoryKvStore } from './inMemoryKvStore.ts';

kvStoreContract('in-memory', async () => {
  const store = createInMemoryKvStore();
  return { store, another: async () => store, cleanup: () => store.close() };
});
