import { END, type ReadPosition } from '@eventstore/db-client';
import type { KnownPositions } from './knownPositions.ts';
import type { LogEntry, ReadLogPage } from './logPage.ts';

const FIRST_PAGE = 32;
const MAX_PAGE = 4_096;

export type Head = {
  /** Position of the last event the port shows, 0n when there is none: the port's headPosition. */
  visible: bigint;
  /** The log's very last event, shown or not (where a subscription from 'end' starts), undefined when the log is empty. */
  last: LogEntry | undefined;
};

/**
 * Reads $all backwards from its end in growing pages until it meets an event the port
 * shows. The log's last records are usually system events (the projections' links written
 * right after each event, statistics), and a head that no visible event has would be a
 * checkpoint no subscriber ever reaches.
 */
export const readHead = async (readPage: ReadLogPage, known: KnownPositions): Promise<Head> => {
  let from: ReadPosition = END;
  let last: LogEntry | undefined;
  let lowest: bigint | undefined;
  for (let pageSize = FIRST_PAGE; ; pageSize = Math.min(MAX_PAGE, pageSize * 4)) {
    const page = await readPage({ from, direction: 'backwards', maxCount: pageSize });
    let advanced = false;
    for (const entry of page) {
      if (lowest !== undefined && entry.position >= lowest) continue;
      lowest = entry.position;
      last ??= entry;
      from = entry.raw;
      advanced = true;
      if (entry.visible) {
        known.add(entry.position);
        known.add(last.position);
        return { visible: entry.position, last };
      }
    }
    if (last) known.add(last.position);
    if (page.length < pageSize || !advanced) return { visible: 0n, last };
  }
};
