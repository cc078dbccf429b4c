import type { EventStore, RecordedEvent } from '../../event-store/eventStore.ts';
import { chatStreamName, receiptsStreamName } from '../../domain/streams.ts';

export type ExportFilter = { chatId?: string; userId?: string; from?: Date | bigint; to?: Date | bigint };

/** Does the event concern the user: as actor, or as the member it is about. */
const concernsUser = (e: RecordedEvent, userId: string): boolean => {
  const d = e.data as Record<string, unknown>;
  if (e.type === 'ChatCreated') return (d.members as { userId: string }[]).some((m) => m.userId === userId);
  return [d.senderId, d.userId, d.editedBy, d.deletedBy, d.addedBy, d.removedBy].includes(userId);
};

const inRange = (e: RecordedEvent, { from, to }: ExportFilter) => {
  const at = (bound: Date | bigint, event: RecordedEvent) => (typeof bound === 'bigint' ? event.position : BigInt(event.recordedAt.getTime())) - (typeof bound === 'bigint' ? bound : BigInt(bound.getTime()));
  return (from === undefined || at(from, e) >= 0n) && (to === undefined || at(to, e) <= 0n);
};

/**
 * Events for an audit export, in log order. A chat: its chat and receipts streams,
 * merged by position. A user: a scan of the whole log for the events that concern them.
 */
export async function* exportEvents(store: EventStore, filter: ExportFilter, pageSize = 1_000): AsyncGenerator<RecordedEvent> {
  if (filter.chatId !== undefined) {
    const [chat, receipts] = await Promise.all([store.readStream(chatStreamName(filter.chatId)), store.readStream(receiptsStreamName(filter.chatId))]);
    const merged = [...chat, ...receipts].sort((a, b) => (a.position < b.position ? -1 : 1));
    for (const e of merged) if (inRange(e, filter)) yield e;
    return;
  }
  let after = typeof filter.from === 'bigint' && filter.from > 0n ? filter.from - 1n : 0n;
  for (;;) {
    const page = await store.readAll({ after, maxCount: pageSize });
    if (page.length === 0) return;
    for (const e of page) {
      if (typeof filter.to === 'bigint' && e.position > filter.to) return;
      if (inRange(e, filter) && (filter.userId === undefined || concernsUser(e, filter.userId))) yield e;
    }
    after = page.at(-1)!.position;
  }
}
