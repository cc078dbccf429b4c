import { chatStreamName } from '../domain/streams.ts';
import type { CommandContext } from './commandContext.ts';
import { findTarget } from './findMessage.ts';

type ReactionInput = { messageId: string; by: string; emoji: string };

const reaction =
  (type: 'AddReaction' | 'RemoveReaction') =>
  (ctx: CommandContext) =>
  async (input: ReactionInput): Promise<{ chatId: string; position: bigint }> => {
    const { chatId, target } = await findTarget(ctx.store, input.messageId);
    const { position } = await ctx.chats.handle(chatStreamName(chatId), {
      type,
      data: { chatId, by: input.by, target, emoji: input.emoji },
      metadata: { now: ctx.now() },
    });
    return { chatId, position };
  };

/** PUT and DELETE of a reaction: both idempotent. */
export const react = reaction('AddReaction');
export const unreact = reaction('RemoveReaction');
