import { START, type ReadPosition } from '@eventstore/db-client';
import type { RecordedEvent } from '../eventStore.ts';
import { isTransientError } from './esdbErrors.ts';
import { toReadPosition } from './esdbMapping.ts';
import type { KnownPositions } from './knownPositions.ts';
import type { ReadLogPage } from './logPage.ts';

const MIN_PAGE = 64;
const MAX_PAGE = 1_000;

/**
 * The port's readAll: visible events strictly after `after`, in log order, at most
 * `maxCount`. Reads $all forwards in pages, because system events (a few projection links
 * per event) are interleaved with the visible ones and the client's readAll has no filter.
 *
 * Starting point: `after` itself when it is an event's position (the usual case: a position
 * the port handed out). EventStoreDB refuses any other offset into its log, so when a read
 * from `after` is refused (for another reason than an unreachable server) and `after` is not
 * known to be an event's position, it reads again from the greatest known one below it, or
 * from the start of the log, skipping up to `after`. The server includes the start position
 * in a forwards read; everything at or before the last position read is skipped anyway.
 */
export const readAllAfter = async (
  readPage: ReadLogPage,
  known: KnownPositions,
  after: bigint,
  maxCount: number = Number.POSITIVE_INFINITY,
): Promise<RecordedEvent[]> => {
  const events: RecordedEvent[] = [];
  if (maxCount === 0) return events;
  const pageSize = () => Math.min(MAX_PAGE, Math.max(MIN_PAGE, maxCount - events.length));

  let from: ReadPosition = after > 0n ? toReadPosition(after) : START;
  let requested = pageSize();
  let page;
  try {
    page = await readPage({ from, direction: 'forwards', maxCount: requested });
  } catch (error) {
    if (from === START || known.has(after) || isTransientError(error)) throw error;
    const floor = known.floor(after);
    from = floor === undefined ? START : toReadPosition(floor);
    page = await readPage({ from, direction: 'forwards', maxCount: requested });
  }

  /** The highest position read so far: a page may start with the entry the previous one ended with. */
  let cursor = -1n;
  for (;;) {
    let moved = false;
    for (const entry of page) {
      if (entry.position <= cursor) continue;
      cursor = entry.position;
      from = entry.raw;
      moved = true;
      if (entry.position <= after || !entry.visible) continue;
      events.push(entry.visible);
      if (events.length >= maxCount) break;
    }
    if (moved) known.add(cursor);
    if (events.length >= maxCount) return events;
    // A short page is the end of the log; a page with nothing new cannot move us forwards.
    if (page.length < requested || !moved) return events;
    requested = pageSize();
    page = await readPage({ from, direction: 'forwards', maxCount: requested });
  }
};
