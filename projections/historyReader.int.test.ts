import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCommands } from '../commands/index.ts';
import { tempEventStore } from '../testing/tempEventStore.ts';
import { startReadModels } from './readModels.ts';
import { jsonTextOf, SLOT_COUNT } from './sqlite/jsonSlots.ts';

/**
 * REST history pages are read by the reader thread once the read models are ready. Across
 * an online rebuild, which switches history to a new build and drops the old one, every
 * page still answers what the main thread answers: a request the reader fails (its build
 * gone under it) is answered on the main thread.
 */
describe('history pages on the reader thread', () => {
  it('answer as the main thread does, before, during and after a rebuild of history', async () => {
    const temp = tempEventStore();
    const store = temp.open();
    const readModels = startReadModels({ store, path: join(temp.dir, 'read.db'), writeInWorker: true, readInWorker: true });
    try {
      await readModels.ready;
      const commands = createCommands(store);
      const { chatId } = await commands.createGroup({ creatorId: 'ann', name: 'g', memberIds: ['bob'] });
      for (let i = 0; i < 300; i++)
        await commands.sendMessage({ senderId: i % 2 ? 'ann' : 'bob', chatId, clientMsgId: `c${i}`, messageType: 'text', content: `message ${i}` });
      await readModels.fresh(chatId, 5_000);
      const pages = [{ limit: 50 }, { limit: 20, before: 100 }, { limit: 30, after: 250 }];
      const expected = pages.map((page) => readModels.queries.history(chatId, 'ann', page));

      // The reader answers with promises once it is up.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const answer = readModels.historyJson(chatId, 'ann', pages[0]!);
        jsonTextOf((await answer)!);
        if (answer instanceof Promise) break;
        if (Date.now() > deadline) throw new Error('the reader thread did not come up');
        await new Promise((r) => setTimeout(r, 20));
      }
      const check = async () => {
        for (const [i, page] of pages.entries()) expect(JSON.parse(jsonTextOf((await readModels.historyJson(chatId, 'ann', page))!))).toEqual(expected[i]);
        expect(await readModels.historyJson(chatId, 'zed', pages[0]!)).toBeNull();
      };
      await check();

      const rebuilt = readModels.rebuild('history');
      let checks = 0;
      let done = false;
      void rebuilt.finally(() => (done = true));
      while (!done) {
        await check();
        checks++;
      }
      expect((await rebuilt).state).toBe('live');
      expect(checks).toBeGreaterThan(0);
      await check();
      const last = readModels.historyJson(chatId, 'ann', pages[0]!);
      expect(last).toBeInstanceOf(Promise);
      jsonTextOf((await last)!);
      // Every page lent in shared memory was given back.
      expect(readModels.readerFreeSlots()).toBe(SLOT_COUNT);
    } finally {
      await readModels.stop();
      await store.close();
      temp.cleanup();
    }
  }, 60_000);
});
