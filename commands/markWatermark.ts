import { badRequest } from '../domain/errors.ts';
import { chatStreamName, receiptsStreamName } from '../domain/streams.ts';
import type { ChatFacts } from '../domain/receipts/commands.ts';
import type { CommandContext } from './commandContext.ts';
import { findMessage } from './findMessage.ts';

/** Up to a seq of a chat, or up to a message (the WebSocket `ack` by message_id). */
export type WatermarkInput = { userId: string } & ({ chatId: string; seq: number } | { messageId: string });

const resolve = async (ctx: CommandContext, input: WatermarkInput) => {
  if ('messageId' in input) {
    const message = await findMessage(ctx.store, input.messageId);
    if (!message) throw badRequest(`no message ${input.messageId}`);
    return { chatId: message.chatId, seq: message.seq };
  }
  return { chatId: input.chatId, seq: input.seq };
};

const watermark =
  (type: 'MarkDelivered' | 'MarkRead') =>
  (ctx: CommandContext) =>
  async (input: WatermarkInput): Promise<{ chatId: string; seq: number; moved: boolean; position: bigint }> => {
    const { chatId, seq } = await resolve(ctx, input);
    const state = await ctx.chats.state(chatStreamName(chatId));
    const chat: ChatFacts =
      state.status === 'active'
        ? { exists: true, isMember: state.members.has(input.userId), lastSeq: state.lastSeq }
        : { exists: false, isMember: false, lastSeq: 0 };
    const { events, position } = await ctx.receipts.handle(receiptsStreamName(chatId), {
      type,
      data: { chatId, userId: input.userId, seq, chat },
      metadata: { now: ctx.now() },
    });
    return { chatId, seq, moved: events.length > 0, position };
  };

/** Watermarks: receipts live in their own stream per chat, so readers never contend with senders. */
export const markDelivered = watermark('MarkDelivered');
export const markRead = watermark('MarkRead');
