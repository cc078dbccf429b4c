import { chatStreamName } from '../domain/streams.ts';
import type { Role } from '../domain/events.ts';
import type { CommandContext } from './commandContext.ts';

export type GroupView = { chatId: string; name: string; members: { userId: string; role: Role }[]; position: bigint };

export const createGroup =
  (ctx: CommandContext) =>
  async (input: { creatorId: string; name: string; memberIds: string[] }): Promise<GroupView> => {
    const chatId = ctx.newGroupId();
    const { events, position } = await ctx.chats.handle(chatStreamName(chatId), {
      type: 'CreateGroup',
      data: { chatId, name: input.name, creatorId: input.creatorId, memberIds: input.memberIds },
      metadata: { now: ctx.now() },
    });
    const created = events[0]!;
    if (created.type !== 'ChatCreated') throw new Error('CreateGroup must record ChatCreated');
    return { chatId, name: created.data.name ?? '', members: created.data.members, position };
  };
