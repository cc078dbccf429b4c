import { badRequest, forbidden, isChatError, notFound } from '../domain/errors.ts';
import { directChatIdFor, messageIdFor } from '../domain/ids.ts';
import type { Commands } from '../commands/index.ts';
import { sendInputOf } from '../read-api/wire.ts';
import type { ReadSide } from '../projections/readSide.ts';
import type { FreshReads } from '../read-api/consistentReads.ts';
import type { Deliver } from './cluster/delivery.ts';
import type { Frame, FrameType } from './frames.ts';
import type { PresenceWatchers } from './presence/presenceWatchers.ts';
import type { Presence } from './presence/presence.ts';
import type { Session } from './sessions/session.ts';

export type FrameDeps = {
  commands: Commands;
  readSide: ReadSide;
  /** Frames to users on any node (typing). */
  deliver: Deliver;
  presence: Presence;
  watchers: PresenceWatchers;
  /** Waits until reads reflect every acknowledged write (as REST reads do). */
  fresh: FreshReads;
  origins: Map<string, string>;
};

type Handler<T extends FrameType> = (session: Session, frame: Frame<T>, ref: string | undefined, deps: FrameDeps) => Promise<void> | void;

const TYPING_INTERVAL_MS = 2_000;

/** Runs `work` after the session's previous send to the same chat was handed to the store: order in = order appended. */
const inOrder = (session: Session, chatKey: string, work: () => Promise<void>) => {
  const chains = (session.sendChains ??= new Map());
  const next = (chains.get(chatKey) ?? Promise.resolve()).then(work, work);
  chains.set(chatKey, next);
  const forget = () => void (chains.get(chatKey) === next && chains.delete(chatKey));
  next.then(forget, forget);
  return next;
};

const message: Handler<'message'> = (session, { data: d }, ref, { commands, origins }) => {
  const chatKey = d.chat_id ?? directChatIdFor(session.userId, d.receiver_id!);
  return inOrder(session, chatKey, async () => {
    const messageId = messageIdFor(session.userId, d.client_msg_id);
    origins.set(messageId, session.id);
    try {
      const ack = await commands.sendMessage(sendInputOf(session.userId, d));
      if (ack.duplicate) origins.delete(messageId);
      session.send({
        type: 'ack',
        ref,
        data: { client_msg_id: d.client_msg_id, message_id: ack.messageId, chat_id: ack.chatId, seq: ack.seq, timestamp: ack.timestamp, status: ack.status },
      });
    } catch (e) {
      origins.delete(messageId);
      throw e;
    }
  });
};

const ack: Handler<'ack'> = async (session, f, _ref, { commands }) => {
  await commands.markDelivered(
    f.message_id !== undefined ? { userId: session.userId, messageId: f.message_id } : { userId: session.userId, chatId: f.chat_id!, seq: f.seq! },
  );
};

const read: Handler<'read'> = async (session, f, _ref, { commands }) => {
  await commands.markRead({ userId: session.userId, chatId: f.chat_id, seq: f.seq });
};

/** Relayed to the other members online, never stored; `start` at most once per 2 s per chat. */
const typing: Handler<'typing'> = async (session, f, _ref, { readSide, deliver, fresh }) => {
  // Members as of every acknowledged write (a group created just before included).
  await fresh(f.chat_id);
  const members = (await readSide.queries.members(f.chat_id)).map((m) => m.user_id);
  if (members.length === 0) throw notFound(`no chat ${f.chat_id}`);
  if (!members.includes(session.userId)) throw forbidden(`not a member of ${f.chat_id}`);
  const state = f.state ?? 'start';
  if (state === 'start') {
    const now = performance.now();
    const typingAt = (session.typingAt ??= new Map());
    if (now - (typingAt.get(f.chat_id) ?? -Infinity) < TYPING_INTERVAL_MS) return;
    typingAt.set(f.chat_id, now);
  } else session.typingAt?.delete(f.chat_id);
  const others = members.filter((m) => m !== session.userId);
  if (others.length > 0) await deliver([{ users: others, json: JSON.stringify({ type: 'typing', data: { chat_id: f.chat_id, user_id: session.userId, state } }) }]);
};

/** One entry per chat of the user; messages after `since[chat]` for the chats named, oldest first. */
const sync: Handler<'sync'> = async (session, f, ref, { readSide, fresh }) => {
  await fresh();
  const q = readSide.queries;
  const limit = f.limit ?? 100;
  const chats = await Promise.all(
    (await q.chatsOf(session.userId)).map(async (c) => {
      const since = f.since[c.chat_id];
      if (since === undefined) return { ...c, messages: [], has_more: false };
      await fresh(c.chat_id);
      const page = await q.history(c.chat_id, session.userId, { after: since, limit });
      return { ...c, messages: page.messages, has_more: page.has_more };
    }),
  );
  session.send({ type: 'sync', ref, data: { chats } });
};

const presenceSubscribe: Handler<'presence_subscribe'> = async (session, f, ref, { readSide, presence, watchers, fresh }) => {
  await fresh();
  const visible = new Set(await readSide.queries.contactsAmong(session.userId, f.user_ids));
  for (const userId of f.user_ids.filter((u) => visible.has(u) || u === session.userId)) {
    watchers.watch(session, userId);
    session.send({ type: 'presence', ref, data: await presence.view(userId) });
  }
};

const ping: Handler<'ping'> = (session, _f, ref) => session.send({ type: 'pong', ref });

const auth: Handler<'auth'> = () => {
  throw badRequest('already authenticated');
};

export const frameHandlers: { [T in FrameType]: Handler<T> } = {
  auth,
  message,
  ack,
  read,
  typing,
  sync,
  presence_subscribe: presenceSubscribe,
  ping,
};

export const errorFrame = (ref: string | undefined, e: unknown) =>
  isChatError(e)
    ? { type: 'error', ref, error: { code: e.code, message: e.message } }
    : { type: 'error', ref, error: { code: 'unavailable', message: 'the server could not complete the request' } };
