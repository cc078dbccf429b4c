import { busContract } from '../contract/busContract.ts';
import { createInMemoryBus } from './inMemoryBus.ts';

busContract(
  'in memory',
  async () => {
    const bus = createInMemoryBus({ maxBatchSize: 16, onHandlerError: () => {} });
    return { bus, another: async () => bus, cleanup: () => bus.close() };
  },
  { waitMs: 5_000, testTimeoutMs: 10_000 },
);
