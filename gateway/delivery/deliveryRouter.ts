import type { DomainEvent } from '../../domain/events.ts';
import type { ReadSide } from '../../projections/readSide.ts';
import type { Deliver, Delivery } from '../cluster/delivery.ts';
import { createGroupWatermarks } from './groupWatermarks.ts';
import { messageOf } from './messageFrame.ts';

/** What the router reads of the feed: the event and its log position (for waits on the read models). */
export type FeedEvent = { type: string; data: unknown; position: bigint };

export type ChatRoute = { chatType: 'direct' | 'group'; members: string[] };
type Receipt = { chat_id: string; kind: 'delivered' | 'read'; seq: number; user_id?: string };

const MAX_CACHED_CHATS = 10_000;

/**
 * Live delivery: turns each batch of new events into frames for the chats' members and
 * hands them to `deliver`, in feed order, so each chat's messages leave in seq order.
 * Receipts are coalesced per batch: one frame per chat, kind and watermark that moved.
 *
 * Members come from the read models once per chat (then cached) and are kept current
 * from the membership events themselves, so a message to a known chat needs no lookup.
 * A lookup first waits until the read models include the event being routed.
 */
export const createDeliveryRouter = ({
  readSide,
  deliver,
  readWaitMs = 30_000,
  onError = (e: unknown) => console.error('delivery router', e),
}: {
  readSide: ReadSide;
  deliver: Deliver;
  readWaitMs?: number;
  onError?: (e: unknown) => void;
}) => {
  const q = readSide.queries;
  const routes = new Map<string, ChatRoute>();
  const marks = new Map<string, ReturnType<typeof createGroupWatermarks>>();

  const remember = <V>(map: Map<string, V>, key: string, value: V) => {
    if (map.size >= MAX_CACHED_CHATS) map.delete(map.keys().next().value!);
    map.set(key, value);
    return value;
  };

  const loadRoute = async (chatId: string): Promise<ChatRoute | null> => {
    const chat = await q.chat(chatId);
    if (!chat) return null;
    const members = (await q.members(chatId)).map((m) => m.user_id);
    return routes.get(chatId) ?? remember(routes, chatId, { chatType: chat.chat_type, members });
  };

  /** The route as of `position` (read models waited for), or the cached one. */
  const routeAt = async (chatId: string, position: bigint): Promise<ChatRoute | null> => {
    const cached = routes.get(chatId);
    if (cached) return cached;
    await readSide.projected(chatId, position, readWaitMs);
    return loadRoute(chatId);
  };

  const routeEvent = async (e: FeedEvent, out: Delivery[], receipts: Map<string, Receipt>, groupsTouched: Set<string>) => {
    const event = { type: e.type, data: e.data } as DomainEvent;
    const toMembers = (route: ChatRoute | null, frame: object, messageId?: string) => {
      if (route && route.members.length > 0) out.push({ users: route.members, json: JSON.stringify(frame), ...(messageId !== undefined && { messageId }) });
    };
    switch (event.type) {
      case 'MessageSent': {
        const route = await routeAt(event.data.chatId, e.position);
        return toMembers(route, { type: 'message', data: messageOf(event.data) }, event.data.messageId);
      }
      case 'MessageEdited':
      case 'MessageDeleted':
      case 'ReactionAdded':
      case 'ReactionRemoved': {
        const route = await routeAt(event.data.chatId, e.position);
        await readSide.projected(event.data.chatId, e.position, readWaitMs);
        const message = await q.message(event.data.chatId, event.data.seq, '');
        if (message) toMembers(route, { type: 'message_update', data: message });
        return;
      }
      case 'ChatCreated': {
        const { chatId, chatType, members } = event.data;
        remember(routes, chatId, { chatType, members: members.map((m) => m.userId) });
        if (chatType === 'group')
          for (const m of members)
            out.push({ users: [m.userId], json: JSON.stringify({ type: 'membership', data: { chat_id: chatId, event: 'added', user_id: m.userId } }) });
        return;
      }
      case 'MemberAdded':
      case 'MemberRemoved': {
        const { chatId, userId } = event.data;
        const route = await routeAt(chatId, e.position);
        const before = route?.members ?? [];
        // Applying the event to a route loaded with it already in is a no-op either way.
        const after = event.type === 'MemberAdded' ? [...new Set([...before, userId])] : before.filter((m) => m !== userId);
        if (route) route.members = after;
        const frame = { type: 'membership', data: { chat_id: chatId, event: event.type === 'MemberAdded' ? 'added' : 'removed', user_id: userId } };
        out.push({ users: [...new Set([...before, ...after, userId])], json: JSON.stringify(frame) });
        groupsTouched.add(chatId); // the lowest watermark may move when a member leaves
        return;
      }
      case 'DeliveredUpTo':
      case 'ReadUpTo': {
        const { chatId, userId, seq } = event.data;
        const kind = event.type === 'ReadUpTo' ? 'read' : 'delivered';
        const route = await routeAt(chatId, e.position);
        if (!route) return;
        receipts.set(`${chatId}\n${userId}\n${kind}`, { chat_id: chatId, kind, seq, user_id: userId });
        if (route.chatType === 'group') {
          let group = marks.get(chatId);
          if (!group) {
            await readSide.projected(chatId, e.position, readWaitMs);
            group = marks.get(chatId) ?? remember(marks, chatId, createGroupWatermarks(await q.receipts(chatId)));
          }
          group.apply(kind, userId, seq);
          groupsTouched.add(chatId);
        }
        return;
      }
    }
  };

  const flushReceipts = (out: Delivery[], receipts: Map<string, Receipt>, groupsTouched: Set<string>) => {
    // Direct chats: the peer's watermark, with its user_id (protocol section 5), to the other member only.
    for (const r of receipts.values()) {
      const route = routes.get(r.chat_id);
      if (route?.chatType !== 'direct') continue;
      const peers = route.members.filter((m) => m !== r.user_id);
      if (peers.length > 0) out.push({ users: peers, json: JSON.stringify({ type: 'receipt', data: r }) });
    }
    for (const chatId of groupsTouched) {
      const route = routes.get(chatId);
      const group = marks.get(chatId);
      if (!route || !group) continue;
      for (const { kind, seq } of group.advanced(route.members))
        out.push({ users: route.members, json: JSON.stringify({ type: 'receipt', data: { chat_id: chatId, kind, seq } }) });
    }
  };

  return {
    /** Routes one batch of the feed; a failed batch is reported and does not stop the next ones. */
    async handle(events: readonly FeedEvent[]): Promise<void> {
      try {
        const out: Delivery[] = [];
        const receipts = new Map<string, Receipt>();
        const groupsTouched = new Set<string>();
        for (const e of events) await routeEvent(e, out, receipts, groupsTouched);
        flushReceipts(out, receipts, groupsTouched);
        if (out.length > 0) await deliver(out);
      } catch (e) {
        onError(e);
      }
    },
  };
};

export type DeliveryRouter = ReturnType<typeof createDeliveryRouter>;
