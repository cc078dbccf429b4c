import { badRequest, duplicateConflict } from '../domain/errors.ts';
import { directChatIdFor, isValidId, messageIdFor } from '../domain/ids.ts';
import { chatStreamName } from '../domain/streams.ts';
import type { MessageSent, MessageType } from '../domain/events.ts';
import type { SendMessage } from '../domain/chat/commands.ts';
import { isDuplicateEventId } from '../event-store/errors.ts';
import type { CommandContext } from './commandContext.ts';
import { findMessage } from './findMessage.ts';

export type SendMessageInput = {
  senderId: string;
  /** Exactly one of chatId (group or existing direct chat) and receiverId (direct). */
  chatId?: string;
  receiverId?: string;
  clientMsgId: string;
  messageType: MessageType;
  content: string;
  mediaId?: string;
  replyTo?: string;
};

export type SendAck = {
  messageId: string;
  chatId: string;
  seq: number;
  timestamp: string;
  status: 'sent';
  /** True when this was a repeat of an earlier send: nothing was appended. */
  duplicate: boolean;
  position: bigint;
};

const ackOf = (m: MessageSent['data'], duplicate: boolean, position: bigint): SendAck => ({
  messageId: m.messageId,
  chatId: m.chatId,
  seq: m.seq,
  timestamp: m.at,
  status: 'sent',
  duplicate,
  position,
});

const chatIdOf = (input: SendMessageInput): string => {
  if ((input.chatId === undefined) === (input.receiverId === undefined))
    throw badRequest('give exactly one of chat_id and receiver_id');
  if (input.receiverId !== undefined) {
    if (!isValidId(input.receiverId)) throw badRequest('invalid receiver_id');
    return directChatIdFor(input.senderId, input.receiverId);
  }
  if (!isValidId(input.chatId)) throw badRequest('invalid chat_id');
  return input.chatId!;
};

/** A repeat with the same chat, type, content, media and reply gets the original ack; any difference is a conflict. */
const answerRepeat = (original: MessageSent['data'], chatId: string, input: SendMessageInput, position: bigint) => {
  const same =
    original.chatId === chatId &&
    original.messageType === input.messageType &&
    original.content === input.content &&
    original.mediaId === input.mediaId &&
    original.replyTo === input.replyTo;
  if (!same) throw duplicateConflict(`client_msg_id ${input.clientMsgId} was already used for a different message`);
  return ackOf(original, true, position);
};

/**
 * Send: decide on the cached chat state and append, with the message id derived from
 * (sender, client_msg_id). The store's permanent unique key on that id is the dedup: a
 * repeat fails the append with a duplicate id and is answered from the stored original,
 * so a first send costs no lookup. Repeats never count against the rate limit: a token
 * taken by one is given back, and a sender out of tokens is still answered a repeat.
 */
export const sendMessage =
  (ctx: CommandContext) =>
  async (input: SendMessageInput): Promise<SendAck> => {
    if (!isValidId(input.senderId)) throw badRequest('invalid sender_id');
    if (!isValidId(input.clientMsgId)) throw badRequest('invalid client_msg_id');
    const chatId = chatIdOf(input);
    const messageId = messageIdFor(input.senderId, input.clientMsgId);
    const storedRepeat = async () => {
      const stored = await ctx.store.readEventById(messageId);
      return stored ? answerRepeat(stored.data as MessageSent['data'], chatId, input, stored.position) : undefined;
    };

    if (ctx.sendRate) {
      try {
        const taken = ctx.sendRate.take(input.senderId);
        if (taken) await taken;
      } catch (limited) {
        const repeat = await storedRepeat();
        if (repeat) return repeat;
        throw limited;
      }
    }

    // A second round only follows a duplicate id: the original is then found (or a racing
    // identical send just failed before it was stored, and the append is tried again).
    for (let round = 0; ; round++) {
      if (round > 0) {
        const repeat = await storedRepeat();
        if (repeat) {
          ctx.sendRate?.refund?.(input.senderId);
          return repeat;
        }
      }
      let replyTo: SendMessage['data']['replyTo'];
      if (input.replyTo !== undefined) {
        const target = await findMessage(ctx.store, input.replyTo);
        if (!target || target.chatId !== chatId) throw badRequest(`reply_to ${input.replyTo} is not a message of this chat`);
        replyTo = { messageId: input.replyTo, seq: target.seq };
      }
      const command: SendMessage = {
        type: 'SendMessage',
        data: {
          chatId,
          senderId: input.senderId,
          messageId,
          clientMsgId: input.clientMsgId,
          messageType: input.messageType,
          content: input.content,
          ...(input.mediaId !== undefined && { mediaId: input.mediaId }),
          ...(replyTo && { replyTo }),
          ...(input.receiverId !== undefined && { directPeerId: input.receiverId }),
        },
        metadata: { now: ctx.now() },
      };
      try {
        const { events, position } = await ctx.chats.handle(chatStreamName(chatId), command);
        const sent = events.find((e): e is MessageSent => e.type === 'MessageSent')!;
        return ackOf(sent.data, false, position);
      } catch (e) {
        if (isDuplicateEventId(e) && round < 2) continue; // a repeat, or a race with the same send
        throw e;
      }
    }
  };
