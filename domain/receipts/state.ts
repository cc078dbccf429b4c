import { Map as IMap } from 'immutable';

/** Watermarks per user of one chat, folded from its receipts stream. */
export type ReceiptsState = {
  delivered: IMap<string, number>;
  read: IMap<string, number>;
};

export const initialState = (): ReceiptsState => ({ delivered: IMap(), read: IMap() });

export const receiptsStateToJSON = (s: ReceiptsState): unknown => ({
  delivered: s.delivered.toArray().sort(([a], [b]) => (a < b ? -1 : 1)),
  read: s.read.toArray().sort(([a], [b]) => (a < b ? -1 : 1)),
});
