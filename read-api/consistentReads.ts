import { unavailable } from '../domain/errors.ts';
import type { ReadSide } from '../projections/readSide.ts';

/**
 * Reads follow acknowledged writes (protocol section 3): before a read, wait until the
 * read models include every write already answered (for a chat's reads, that chat's).
 * In one process this is usually already true; the wait only covers the few hundred
 * microseconds between a commit and its projection.
 */
export const consistentReads =
  (readSide: ReadSide, waitMs: number) =>
  async (chatId?: string): Promise<void> => {
    try {
      await readSide.fresh(chatId, waitMs);
    } catch {
      throw unavailable('read models are behind the log; retry shortly');
    }
  };

export type FreshReads = ReturnType<typeof consistentReads>;
