import type { Db } from 'mongodb';

type PositionDoc = { _id: string; position: number };

/**
 * Per chat, the highest log position the projector has applied (collection
 * `projected_positions`). It drops repeats of `chat.events` after restarts (relay or
 * projector) and tells readers in other processes whether a chat's writes are in.
 * Positions are stored as numbers ($max must compare them numerically): exact below 2^53.
 */
export const projectedPositions = (db: Db) => {
  const collection = db.collection<PositionDoc>('projected_positions');
  return {
    async load(chatIds: readonly string[]): Promise<Map<string, bigint>> {
      const docs = chatIds.length === 0 ? [] : await collection.find({ _id: { $in: [...chatIds] } }).toArray();
      return new Map(docs.map((d) => [d._id, BigInt(d.position)]));
    },
    async of(chatId: string): Promise<bigint> {
      const doc = await collection.findOne({ _id: chatId });
      return doc ? BigInt(doc.position) : -1n;
    },
    async raise(positions: ReadonlyMap<string, bigint>): Promise<void> {
      if (positions.size === 0) return;
      await collection.bulkWrite(
        [...positions].map(([chatId, p]) => ({ updateOne: { filter: { _id: chatId }, update: { $max: { position: Number(p) } }, upsert: true } })),
        { ordered: false },
      );
    },
  };
};

export type ProjectedPositions = ReturnType<typeof projectedPositions>;
