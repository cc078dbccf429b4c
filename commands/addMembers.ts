import { chatStreamName } from '../domain/streams.ts';
import type { CommandContext } from './commandContext.ts';
import type { GroupView } from './createGroup.ts';
import { groupViewOf } from './groupView.ts';

export const addMembers =
  (ctx: CommandContext) =>
  async (input: { chatId: string; by: string; userIds: string[] }): Promise<GroupView> => {
    const stream = chatStreamName(input.chatId);
    const { position } = await ctx.chats.handle(stream, {
      type: 'AddMembers',
      data: input,
      metadata: { now: ctx.now() },
    });
    return groupViewOf(await ctx.chats.state(stream), position)!;
  };
