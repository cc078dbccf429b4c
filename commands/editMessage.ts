import { chatStreamName } from '../domain/streams.ts';
import type { CommandContext } from './commandContext.ts';
import { findTarget } from './findMessage.ts';

export const editMessage =
  (ctx: CommandContext) =>
  async (input: { messageId: string; by: string; content: string }): Promise<{ chatId: string; seq: number; position: bigint }> => {
    const { chatId, target } = await findTarget(ctx.store, input.messageId);
    const { position } = await ctx.chats.handle(chatStreamName(chatId), {
      type: 'EditMessage',
      data: { chatId, by: input.by, target, content: input.content },
      metadata: { now: ctx.now() },
    });
    return { chatId, seq: target.seq, position };
  };
