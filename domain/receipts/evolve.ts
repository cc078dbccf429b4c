import type { ReceiptEvent } from '../events.ts';
import type { ReceiptsState } from './state.ts';

const raise = (marks: ReceiptsState['delivered'], userId: string, seq: number) =>
  (marks.get(userId) ?? 0) >= seq ? marks : marks.set(userId, seq);

/** Watermarks are a max-merge: order-independent, never moving backwards. Reading implies delivery. */
export const evolve = (state: ReceiptsState, event: ReceiptEvent): ReceiptsState => {
  const { userId, seq } = event.data;
  const delivered = raise(state.delivered, userId, seq);
  const read = event.type === 'ReadUpTo' ? raise(state.read, userId, seq) : state.read;
  return delivered === state.delivered && read === state.read ? state : { delivered, read };
};
