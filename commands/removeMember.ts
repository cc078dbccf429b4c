import { chatStreamName } from '../domain/streams.ts';
import type { CommandContext } from './commandContext.ts';

/** An admin removes a member, or a member (`by === userId`) leaves. */
export const removeMember =
  (ctx: CommandContext) =>
  async (input: { chatId: string; by: string; userId: string }): Promise<{ position: bigint }> => {
    const { position } = await ctx.chats.handle(chatStreamName(input.chatId), {
      type: 'RemoveMember',
      data: input,
      metadata: { now: ctx.now() },
    });
    return { position };
  };
