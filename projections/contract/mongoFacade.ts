import type { MongoClient } from 'mongodb';
import { createMongoQueries } from '../mongo/mongoQueries.ts';
import { createMongoReadStore, type MongoReadStore } from '../mongo/mongoReadStore.ts';
import { physicalTable } from '../sqlite/tableDdl.ts';
import type { AsyncQueries, ReadStoreFacade } from './readStoreFacade.ts';

/**
 * The MongoDB read store behind the contract's facade, in its own database on a shared
 * client; `close` drops that database.
 */
export const mongoFacade = async (client: MongoClient, dbName: string): Promise<ReadStoreFacade & { store: MongoReadStore }> => {
  const store = await createMongoReadStore({ url: '', dbName, client });
  const queries: AsyncQueries = createMongoQueries(store);
  return {
    store,
    builds: () => store.builds(),
    liveBuild: async (name) => store.liveBuild(name),
    createBuild: (projection, options) => store.createBuild(projection, options),
    createIndexes: (projection, build) => store.createIndexes(projection, build),
    secondaryIndexes: async (name, build, table) =>
      (await store.db.collection(physicalTable(name, build, table)).indexes())
        .filter((i) => i.name !== '_id_' && i.name !== 'pk')
        .map((i) => Object.keys(i.key))
        .sort((a, b) => a.join().localeCompare(b.join())),
    markLive: (name, build) => store.markLive(name, build),
    dropBuild: (projection, build) => store.dropBuild(projection, build),
    applyBatch: (batches) => store.applyBatch(batches),
    rows: (name, build, table) => store.rows(name, build, table),
    tableExists: async (name, build, table) =>
      (await store.db.listCollections({ name: physicalTable(name, build, table) }, { nameOnly: true }).toArray()).length > 0,
    queries,
    close: async () => {
      await store.db.dropDatabase();
      await store.close();
    },
  };
};
