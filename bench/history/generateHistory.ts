import { v5 as uuidv5 } from 'uuid';
import { toEventData } from '../../commands/eventMapping.ts';
import type { ChatCreated, MessageSent } from '../../domain/events.ts';
import { directChatIdFor, messageIdFor } from '../../domain/ids.ts';
import { chatStreamName } from '../../domain/streams.ts';
import type { EventData, EventStore } from '../../event-store/eventStore.ts';
import { seededRandom } from '../lib/random.ts';

/**
 * A chat log of a given size, written straight into the event store in large batches:
 * exactly the events the command path would record (`ChatCreated`, then `MessageSent`
 * with seq 1, 2, 3… and the same derived ids), without its per-send lookups. Half the
 * chats are direct chats of two, half groups of three to five; chats advance in rounds
 * so the log interleaves them, as a real one does. Deterministic for a given seed.
 */
export type HistoryPlan = {
  chats: number;
  messagesPerChat: number;
  /** Size of the user pool the members are drawn from. */
  users: number;
  seed: number;
};

export type GeneratedChat = { chatId: string; members: string[]; lastSeq: number };

export type GenerationProgress = { appendedEvents: number; totalEvents: number };

/** `messages` spread over chats of `messagesPerChat` each. */
export const planHistory = (messages: number, messagesPerChat: number, seed = 1): HistoryPlan => {
  const chats = Math.max(1, Math.round(messages / messagesPerChat));
  return { chats, messagesPerChat, users: Math.max(8, chats * 2), seed };
};

const GROUP_NAMESPACE = '0e1c3f8a-5f4b-4d2e-9b7a-6c1d2e3f4a5b';
const WORDS = (
  'the a to and of in is it you that for on are with be this have not was but at we can they from so what ' +
  'meeting lunch tomorrow tonight deploy release ticket coffee review merge branch weekend call later thanks ' +
  'sounds good great sure maybe friday monday office remote design draft docs numbers latency queue cache'
).split(' ');

/** A few hundred distinct message texts, 1 to 40 words, picked from per message. */
const textPool = (seed: number): string[] => {
  const random = seededRandom(seed ^ 0x5eed);
  return Array.from({ length: 256 }, () => Array.from({ length: random.int(1, 40) }, () => random.pick(WORDS)).join(' '));
};

export const planChats = (plan: HistoryPlan): GeneratedChat[] => {
  const random = seededRandom(plan.seed);
  const user = (i: number) => `user-${String(i).padStart(6, '0')}`;
  const seen = new Set<string>();
  const chats: GeneratedChat[] = [];
  for (let i = 0; i < plan.chats; i++) {
    const size = i % 2 === 0 ? 2 : random.int(3, 5);
    const members = new Set<string>();
    while (members.size < size) members.add(user(random.int(0, plan.users - 1)));
    const list = [...members];
    const chatId = size === 2 ? directChatIdFor(list[0]!, list[1]!) : `g-${uuidv5(`history ${plan.seed} ${i}`, GROUP_NAMESPACE)}`;
    if (seen.has(chatId)) {
      i--; // the same pair twice: draw again
      continue;
    }
    seen.add(chatId);
    chats.push({ chatId, members: list, lastSeq: plan.messagesPerChat });
  }
  return chats;
};

export const generateHistory = async (
  store: EventStore,
  plan: HistoryPlan,
  {
    eventsPerCommit = 10_000,
    rounds = 10,
    onProgress,
  }: { eventsPerCommit?: number; rounds?: number; onProgress?: (p: GenerationProgress) => void } = {},
): Promise<{ chats: GeneratedChat[]; events: number }> => {
  const chats = planChats(plan);
  const texts = textPool(plan.seed);
  const random = seededRandom(plan.seed + 1);
  const totalEvents = plan.chats * (plan.messagesPerChat + 1);
  const slice = Math.max(1, Math.ceil(plan.messagesPerChat / rounds));
  const epoch = Date.parse('2025-01-01T00:00:00.000Z');
  let appendedEvents = 0;
  let clock = 0;
  const at = () => new Date(epoch + 250 * clock++).toISOString();

  let pending: Promise<unknown>[] = [];
  let pendingEvents = 0;
  const flush = async () => {
    await Promise.all(pending);
    appendedEvents += pendingEvents;
    pending = [];
    pendingEvents = 0;
    onProgress?.({ appendedEvents, totalEvents });
  };

  for (let fromSeq = 1; fromSeq <= plan.messagesPerChat; fromSeq += slice) {
    const toSeq = Math.min(plan.messagesPerChat, fromSeq + slice - 1);
    for (const [index, chat] of chats.entries()) {
      const stream = chatStreamName(chat.chatId);
      const events: EventData[] = [];
      // Stream revision of seq s is s: ChatCreated is revision 0.
      if (fromSeq === 1) {
        const direct = chat.members.length === 2;
        const created: ChatCreated = {
          type: 'ChatCreated',
          data: {
            chatId: chat.chatId,
            chatType: direct ? 'direct' : 'group',
            name: direct ? null : `group ${chat.chatId.slice(2, 10)}`,
            members: chat.members.map((userId, i) => ({ userId, role: direct || i > 0 ? 'member' : 'admin' })),
            createdBy: chat.members[0]!,
            at: at(),
          },
        };
        events.push(toEventData(created, stream, 0n));
      }
      for (let seq = fromSeq; seq <= toSeq; seq++) {
        const senderId = random.pick(chat.members);
        // Unique per sender across chats, as a client's ids are: the message id derives from it.
        const clientMsgId = `c${index}-${seq}`;
        const sent: MessageSent = {
          type: 'MessageSent',
          data: {
            chatId: chat.chatId,
            messageId: messageIdFor(senderId, clientMsgId),
            seq,
            senderId,
            clientMsgId,
            messageType: 'text',
            content: random.pick(texts),
            at: at(),
          },
        };
        events.push(toEventData(sent, stream, BigInt(seq)));
      }
      pending.push(store.appendToStream(stream, events, { expectedRevision: fromSeq === 1 ? 'no_stream' : BigInt(fromSeq - 1) }));
      pendingEvents += events.length;
      if (pendingEvents >= eventsPerCommit) await flush();
    }
  }
  await flush();
  return { chats, events: appendedEvents };
};
