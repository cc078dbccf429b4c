import { startTsWorker } from '../../workers/startTsWorker.ts';
import type { FromReader, ToReader } from './readerProtocol.ts';
import type { HistoryPageRequest } from './sqliteQueries.ts';

/**
 * The main thread's side of a reader worker (readerWorker.ts). `historyJson` answers a
 * promise of the page's JSON text; it rejects if the worker failed the query (e.g. a
 * build dropped under a request sent before the switch) or stopped: the caller then
 * reads on the main thread. Not `usable` until the worker is up.
 */
export const startReaderThread = ({ path }: { path: string }) => {
  const worker = startTsWorker(new URL('./readerWorker.ts', import.meta.url), { path });
  let ready = false;
  let exited = false;
  const pending = new Map<number, { resolve: (json: string | null) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let sentLive: ReadonlyMap<string, number> | undefined;
  let markUp!: () => void;
  const up = new Promise<void>((resolve) => (markUp = resolve));

  worker.on('message', (m: FromReader) => {
    if (m.type === 'ready') {
      ready = true;
      markUp();
    } else {
      const request = pending.get(m.id);
      pending.delete(m.id);
      if (m.type === 'page') request?.resolve(m.json);
      else request?.reject(new Error(`read-model reader: ${m.error}`));
    }
  });
  worker.on('error', () => {});
  worker.on('exit', () => {
    exited = true;
    markUp();
    for (const request of pending.values()) request.reject(new Error('read-model reader stopped'));
    pending.clear();
  });

  return {
    /** Resolves once the worker is up (or gone). */
    up,
    usable: () => ready && !exited,
    historyJson(live: ReadonlyMap<string, number>, chatId: string, viewerId: string, page: HistoryPageRequest): Promise<string | null> {
      const id = nextId++;
      const message: ToReader = { id, chatId, viewerId, page, ...(live !== sentLive && { live: [...live] }) };
      sentLive = live;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage(message);
      });
    },
    close: () => worker.terminate(),
  };
};

export type ReaderThread = ReturnType<typeof startReaderThread>;
