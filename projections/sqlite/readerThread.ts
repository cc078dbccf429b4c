import { startTsWorker } from '../../workers/startTsWorker.ts';
import { createJsonSlots, type LeasedJson } from './jsonSlots.ts';
import type { FromReader, ToReader } from './readerProtocol.ts';
import type { HistoryPageRequest } from './sqliteQueries.ts';

/**
 * The main thread's side of a reader worker (readerWorker.ts). `historyJson` answers a
 * promise of the page's JSON: bytes in shared memory, to release once sent (jsonSlots.ts),
 * or text when no slot was free or the page did not fit one. It rejects if the worker
 * failed the query (e.g. a build dropped under a request sent before the switch) or
 * stopped: the caller then reads on the main thread. Not `usable` until the worker is up.
 */
export const startReaderThread = ({ path }: { path: string }) => {
  const slots = createJsonSlots();
  const worker = startTsWorker(new URL('./readerWorker.ts', import.meta.url), { path, slots: slots.shared });
  let ready = false;
  let exited = false;
  type Pending = { slot: number | undefined; resolve: (json: string | LeasedJson | null) => void; reject: (e: Error) => void };
  const pending = new Map<number, Pending>();
  const settle = (id: number): Pending | undefined => {
    const request = pending.get(id);
    pending.delete(id);
    return request;
  };
  const giveBack = (request: Pending | undefined) => request?.slot !== undefined && slots.give(request.slot);
  let nextId = 0;
  let sentLive: ReadonlyMap<string, number> | undefined;
  let markUp!: () => void;
  const up = new Promise<void>((resolve) => (markUp = resolve));

  worker.on('message', (m: FromReader) => {
    if (m.type === 'ready') {
      ready = true;
      markUp();
    } else if (m.type === 'slot') {
      const request = settle(m.id);
      if (request) request.resolve(slots.lease(request.slot!, m.length));
    } else {
      const request = settle(m.id);
      giveBack(request);
      if (m.type === 'page') request?.resolve(m.json);
      else request?.reject(new Error(`read-model reader: ${m.error}`));
    }
  });
  worker.on('error', () => {});
  worker.on('exit', () => {
    exited = true;
    markUp();
    for (const request of pending.values()) {
      giveBack(request);
      request.reject(new Error('read-model reader stopped'));
    }
    pending.clear();
  });

  return {
    /** Resolves once the worker is up (or gone). */
    up,
    usable: () => ready && !exited,
    historyJson(live: ReadonlyMap<string, number>, chatId: string, viewerId: string, page: HistoryPageRequest): Promise<string | LeasedJson | null> {
      const id = nextId++;
      const slot = slots.take();
      const message: ToReader = { id, chatId, viewerId, page, ...(live !== sentLive && { live: [...live] }), ...(slot !== undefined && { slot }) };
      sentLive = live;
      return new Promise((resolve, reject) => {
        pending.set(id, { slot, resolve, reject });
        worker.postMessage(message);
      });
    },
    /** Slots not leased nor lent to a pending request. */
    freeSlots: () => slots.free(),
    close: () => worker.terminate(),
  };
};

export type ReaderThread = ReturnType<typeof startReaderThread>;
