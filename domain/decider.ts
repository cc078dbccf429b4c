import * as chat from './chat/index.ts';
import * as receipts from './receipts/index.ts';

/** The deciders, Emmett's shape: decide(command, state) → events, evolve(state, event) → state. */
export type Decider<State, Command, Event> = {
  initialState: () => State;
  evolve: (state: State, event: Event) => State;
  decide: (command: Command, state: State) => Event[];
};

export const chatDecider: Decider<chat.ChatState, chat.ChatCommand, chat.ChatEvent> = chat;
export const receiptsDecider: Decider<receipts.ReceiptsState, receipts.ReceiptCommand, receipts.ReceiptEvent> = receipts;

export const fold = <S, E>(decider: Pick<Decider<S, unknown, E>, 'initialState' | 'evolve'>, events: readonly E[], from = decider.initialState()): S =>
  events.reduce(decider.evolve, from);
