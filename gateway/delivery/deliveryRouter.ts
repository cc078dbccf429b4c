import type { DomainEvent } from '../../domain/events.ts';
import type { EventStore, RecordedEvent, Subscription } from '../../event-store/eventStore.ts';
import type { ReadModels } from '../../projections/readModels.ts';
import type { SessionRegistry } from '../sessions/sessionRegistry.ts';
import type { Session } from '../sessions/session.ts';
import { createGroupWatermarks } from './groupWatermarks.ts';
import { messageOf } from './messageFrame.ts';

type ChatRoute = { chatType: 'direct' | 'group'; members: string[] };
type Receipt = { chat_id: string; kind: 'delivered' | 'read'; seq: number; user_id?: string };

const MAX_CACHED_CHATS = 10_000;

/**
 * Live delivery: follows the log from its end (a replay never delivers), resolves each
 * event's recipients (the chat's members) and pushes frames to their sessions on this
 * node, in log order, so each chat's messages leave in seq order. Receipts are
 * coalesced per batch: one frame per chat, kind and watermark that moved.
 */
export const createDeliveryRouter = ({
  store,
  sessions,
  readModels,
  originOf,
  onError = (e: unknown) => console.error('delivery router', e),
}: {
  store: EventStore;
  sessions: SessionRegistry;
  readModels: ReadModels;
  /** The session a message was sent from: it gets an ack, not an echo. */
  originOf: (messageId: string) => string | undefined;
  onError?: (e: unknown) => void;
}) => {
  const q = readModels.queries;
  const routes = new Map<string, ChatRoute>();
  const marks = new Map<string, ReturnType<typeof createGroupWatermarks>>();

  const remember = <V>(map: Map<string, V>, key: string, value: V) => {
    if (map.size >= MAX_CACHED_CHATS) map.delete(map.keys().next().value!);
    map.set(key, value);
    return value;
  };

  const routeOf = (chatId: string): ChatRoute | null => {
    const cached = routes.get(chatId);
    if (cached) return cached;
    const chat = q.chat(chatId);
    if (!chat) return null;
    return remember(routes, chatId, { chatType: chat.chat_type, members: q.members(chatId).map((m) => m.user_id) });
  };

  const toUser = (userId: string, frame: object | string, except?: string) => {
    const json = typeof frame === 'string' ? frame : JSON.stringify(frame);
    for (const s of sessions.of(userId)) if (s.id !== except) s.sendSerialized(json);
  };
  /** Serialized once, however many members and sessions. */
  const toMembers = (chatId: string, frame: object, except?: string) => {
    const json = JSON.stringify(frame);
    for (const m of routeOf(chatId)?.members ?? []) toUser(m, json, except);
  };

  const routeEvent = (event: DomainEvent, receipts: Map<string, Receipt>, groupsTouched: Set<string>) => {
    switch (event.type) {
      case 'MessageSent':
        return toMembers(event.data.chatId, { type: 'message', data: messageOf(event.data) }, originOf(event.data.messageId));
      case 'MessageEdited':
      case 'MessageDeleted':
      case 'ReactionAdded':
      case 'ReactionRemoved': {
        const message = q.message(event.data.messageId, '');
        if (message) toMembers(event.data.chatId, { type: 'message_update', data: message });
        return;
      }
      case 'ChatCreated':
        routes.delete(event.data.chatId);
        if (event.data.chatType === 'group')
          for (const m of event.data.members) toUser(m.userId, { type: 'membership', data: { chat_id: event.data.chatId, event: 'added', user_id: m.userId } });
        return;
      case 'MemberAdded':
      case 'MemberRemoved': {
        const { chatId, userId } = event.data;
        const frame = { type: 'membership', data: { chat_id: chatId, event: event.type === 'MemberAdded' ? 'added' : 'removed', user_id: userId } };
        const before = routeOf(chatId)?.members ?? [];
        routes.delete(chatId);
        const after = routeOf(chatId)?.members ?? [];
        const json = JSON.stringify(frame);
      for (const m of new Set([...before, ...after, userId])) toUser(m, json);
        groupsTouched.add(chatId); // the lowest watermark may move when a member leaves
        return;
      }
      case 'MemberPromoted':
        routes.delete(event.data.chatId);
        return;
      case 'DeliveredUpTo':
      case 'ReadUpTo': {
        const { chatId, userId, seq } = event.data;
        const kind = event.type === 'ReadUpTo' ? 'read' : 'delivered';
        const route = routeOf(chatId);
        if (!route) return;
        receipts.set(`${chatId}\n${userId}\n${kind}`, { chat_id: chatId, kind, seq, user_id: userId });
        if (route.chatType === 'group') {
          (marks.get(chatId) ?? remember(marks, chatId, createGroupWatermarks(q.receipts(chatId)))).apply(kind, userId, seq);
          groupsTouched.add(chatId);
        }
        return;
      }
    }
  };

  const flushReceipts = (receipts: Map<string, Receipt>, groupsTouched: Set<string>) => {
    // Direct chats: the peer's watermark, with its user_id (protocol section 5), to the other member only.
    for (const r of receipts.values()) {
      const route = routeOf(r.chat_id);
      if (route?.chatType !== 'direct') continue;
      const json = JSON.stringify({ type: 'receipt', data: r });
      for (const m of route.members) if (m !== r.user_id) toUser(m, json);
    }
    for (const chatId of groupsTouched) {
      const route = routeOf(chatId);
      const group = marks.get(chatId);
      if (!route || !group) continue;
      for (const { kind, seq } of group.advanced(route.members)) toMembers(chatId, { type: 'receipt', data: { chat_id: chatId, kind, seq } });
    }
  };

  /** New messages to chats whose members are cached need nothing from the read models. */
  const needsReadModels = (events: RecordedEvent[]) =>
    events.some((e) => e.type !== 'MessageSent' || !routes.has((e.data as { chatId: string }).chatId));

  const onEvents = async (events: RecordedEvent[]) => {
    try {
      // Otherwise the read models (members, watermarks, edited messages) must include these events.
      if (needsReadModels(events)) await readModels.projector.waitFor(events.at(-1)!.position, 30_000);
      const receipts = new Map<string, Receipt>();
      const groupsTouched = new Set<string>();
      for (const e of events) routeEvent({ type: e.type, data: e.data } as DomainEvent, receipts, groupsTouched);
      flushReceipts(receipts, groupsTouched);
    } catch (e) {
      onError(e); // a failed batch must not stop delivery of the next ones
    }
  };

  let subscription: Subscription | undefined;
  return {
    start() {
      subscription ??= store.subscribeToAll({ after: 'end', onEvents, maxBatchSize: 500 });
    },
    stop: async () => subscription?.close(),
    /** For typing relays and presence: the members of a chat as the router knows them. */
    membersOf: (chatId: string) => routeOf(chatId),
    sessionsOf: (userId: string): ReadonlySet<Session> => sessions.of(userId),
  };
};

export type DeliveryRouter = ReturnType<typeof createDeliveryRouter>;
