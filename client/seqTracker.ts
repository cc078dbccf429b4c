/**
 * Per-chat ordering of incoming messages: what the app sees is, per chat, strictly
 * increasing and contiguous seq (protocol section 3 numbers messages 1, 2, 3… with
 * no gaps, so a hole is always something we missed, never something that does not
 * exist).
 *
 * Pure bookkeeping, no I/O: the client feeds it live and synced messages and its own
 * acks, and it answers what to deliver now and whether a hole needs a `sync`.
 *
 * Baseline of a chat never seen before (no `setLastSeq`, no `knownSeqs`): 0. A first
 * live message with seq 5 for an unknown chat is therefore a gap (1..4 missing) and
 * triggers a sync from 0, i.e. the app gets the chat's full history in order. We
 * chose this over "the first message seen is the baseline" because a baseline taken
 * from whatever happens to arrive first silently loses the messages before it. Apps
 * that only want new messages call `setLastSeq(chatId, n)` (or `learn`, which the
 * client uses for chats discovered through a sync answer: those start at their
 * `last_seq` unless the app asked for `syncNewChats`).
 *
 * Own sends: the session that sent a message does not receive it live (section 5),
 * but its seq is part of the chat. The ack marks that seq as held ("own") so the
 * watermark moves past it; own entries are never handed to the app as messages (the
 * app has them from `send()`).
 */

export type Sequenced = { chat_id: string; seq: number };

export type Accepted<M> = {
  /** Messages now deliverable, in increasing contiguous seq. */
  deliver: M[];
  /** The chat still misses something below a held seq (a `sync` is needed). */
  gap: boolean;
};

type Held<M> = { own: true } | { own: false; message: M };

type Chat<M> = { last: number; held: Map<number, Held<M>> };

export type SeqTracker<M extends Sequenced> = {
  /** Highest seq delivered (or held as own) contiguously; undefined for an unknown chat. */
  lastSeq(chatId: string): number | undefined;
  has(chatId: string): boolean;
  /** Every known chat with its last contiguous seq: what a reconnect `sync` sends as `since`. */
  known(): Record<string, number>;
  /** A live or synced message. Repeats (seq ≤ last, or already held) are dropped. */
  accept(message: M): Accepted<M>;
  /** This session's own send was acked at `seq`. */
  markOwn(chatId: string, seq: number): Accepted<M>;
  /** The app says it holds everything up to `seq`. Held entries at or below are dropped. */
  setLastSeq(chatId: string, seq: number): Accepted<M>;
  /** Start tracking an unknown chat at `seq`; a known chat is left alone. True if it was unknown. */
  learn(chatId: string, seq: number): boolean;
  hasGap(chatId: string): boolean;
  /** Chats with a hole below a held seq. */
  gaps(): string[];
  /** How many seqs are held beyond the contiguous watermark. */
  heldCount(chatId?: string): number;
};

export const createSeqTracker = <M extends Sequenced>(initial: Record<string, number> = {}): SeqTracker<M> => {
  const chats = new Map<string, Chat<M>>();
  for (const [chatId, seq] of Object.entries(initial)) chats.set(chatId, { last: seq, held: new Map() });

  const chatFor = (chatId: string) => {
    let chat = chats.get(chatId);
    if (!chat) chats.set(chatId, (chat = { last: 0, held: new Map() }));
    return chat;
  };

  // Moves the watermark over every held entry that is now contiguous.
  const drain = (chat: Chat<M>): M[] => {
    const out: M[] = [];
    for (let next = chat.held.get(chat.last + 1); next; next = chat.held.get(chat.last + 1)) {
      chat.held.delete(chat.last + 1);
      chat.last++;
      if (!next.own) out.push(next.message);
    }
    return out;
  };

  // Anything held means something below it is missing (drain already ran).
  const gapIn = (chat: Chat<M>) => chat.held.size > 0;

  const hold = (chatId: string, seq: number, entry: Held<M>): Accepted<M> => {
    const chat = chatFor(chatId);
    if (!Number.isInteger(seq) || seq <= chat.last || chat.held.has(seq)) return { deliver: [], gap: gapIn(chat) };
    chat.held.set(seq, entry);
    const deliver = drain(chat);
    return { deliver, gap: gapIn(chat) };
  };

  return {
    lastSeq: (chatId) => chats.get(chatId)?.last,
    has: (chatId) => chats.has(chatId),
    known: () => Object.fromEntries([...chats].map(([id, chat]) => [id, chat.last])),
    accept: (message) => hold(message.chat_id, message.seq, { own: false, message }),
    markOwn: (chatId, seq) => hold(chatId, seq, { own: true }),
    setLastSeq(chatId, seq) {
      const chat = chatFor(chatId);
      chat.last = seq;
      for (const held of chat.held.keys()) if (held <= seq) chat.held.delete(held);
      const deliver = drain(chat);
      return { deliver, gap: gapIn(chat) };
    },
    learn(chatId, seq) {
      if (chats.has(chatId)) return false;
      chats.set(chatId, { last: seq, held: new Map() });
      return true;
    },
    hasGap: (chatId) => {
      const chat = chats.get(chatId);
      return chat ? gapIn(chat) : false;
    },
    gaps: () => [...chats].filter(([, chat]) => gapIn(chat)).map(([id]) => id),
    heldCount(chatId) {
      if (chatId !== undefined) return chats.get(chatId)?.held.size ?? 0;
      let n = 0;
      for (const chat of chats.values()) n += chat.held.size;
      return n;
    },
  };
};
