import type { Db } from 'mongodb';
import type { RelayCheckpoint } from '../../bus/relay/relayToBus.ts';

/** The relay's checkpoint as one document: durable, and untouched by a Redis restart. */
export const mongoRelayCheckpoint = (db: Db, id = 'chat.events'): RelayCheckpoint => {
  const collection = db.collection<{ _id: string; position: string }>('relay_checkpoints');
  return {
    load: async () => BigInt((await collection.findOne({ _id: id }))?.position ?? '0'),
    save: async (position) => {
      await collection.updateOne({ _id: id }, { $set: { position: position.toString() } }, { upsert: true });
    },
  };
};
