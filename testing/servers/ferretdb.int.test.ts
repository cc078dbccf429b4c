import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithServer } from './serverOrSkip.ts';
import { startFerretDb } from './startFerretDb.ts';

type Message = { chatId: string; seq: number; text: string };

describeWithServer('ferretdb', startFerretDb, (getServer) => {
  let client: MongoClient;
  beforeAll(async () => {
    client = new MongoClient(getServer().url, { serverSelectionTimeoutMS: 5_000 });
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
  });

  it('answers ping, insertOne, find and createIndex through the mongodb driver', async () => {
    const db = client.db('chat_smoke');
    expect((await db.command({ ping: 1 })).ok).toBe(1);

    const messages = db.collection<Message>('messages');
    const indexName = await messages.createIndex({ chatId: 1, seq: 1 }, { unique: true, name: 'chat_seq' });
    expect(indexName).toBe('chat_seq');
    const indexes = await messages.indexes();
    expect(indexes.map((i) => i.name)).toContain('chat_seq');

    const inserted = await messages.insertOne({ chatId: 'c1', seq: 1, text: 'hello' });
    expect(inserted.acknowledged).toBe(true);
    await messages.insertOne({ chatId: 'c1', seq: 2, text: 'world' });
    await messages.insertOne({ chatId: 'c2', seq: 1, text: 'elsewhere' });

    const found = await messages.find({ chatId: 'c1' }, { projection: { _id: 0 } }).sort({ seq: 1 }).toArray();
    expect(found).toEqual([
      { chatId: 'c1', seq: 1, text: 'hello' },
      { chatId: 'c1', seq: 2, text: 'world' },
    ]);

    // The unique index is enforced by the server: a second (c1, 1) is a duplicate key (11000).
    await expect(messages.insertOne({ chatId: 'c1', seq: 1, text: 'again' })).rejects.toMatchObject({ code: 11000 });
    expect(await messages.countDocuments({})).toBe(3);
  });

  it('keeps its documents across a kill -9 and restart on the same URL', async () => {
    const docs = client.db('chat_restart').collection<Message>('messages');
    await docs.insertOne({ chatId: 'c1', seq: 1, text: 'survives' });
    await getServer().kill();
    await getServer().restart();
    // The same client reconnects by itself.
    expect(await docs.findOne({ chatId: 'c1' }, { projection: { _id: 0 } })).toEqual({ chatId: 'c1', seq: 1, text: 'survives' });
  });
});
