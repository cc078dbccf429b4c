import type { EventStore } from '../event-store/eventStore.ts';
import { createCommandContext, type CommandOptions } from './commandContext.ts';
import { sendMessage } from './sendMessage.ts';
import { createGroup } from './createGroup.ts';
import { addMembers } from './addMembers.ts';
import { removeMember } from './removeMember.ts';
import { editMessage } from './editMessage.ts';
import { deleteMessage } from './deleteMessage.ts';
import { react, unreact } from './react.ts';
import { markDelivered, markRead } from './markWatermark.ts';

export type { SendAck, SendMessageInput } from './sendMessage.ts';
export type { GroupView } from './createGroup.ts';
export type { WatermarkInput } from './markWatermark.ts';

/** Every command handler over one store: the write side of the chat. */
export const createCommands = (store: EventStore, options: CommandOptions = {}) => {
  const ctx = createCommandContext(store, options);
  return {
    context: ctx,
    sendMessage: sendMessage(ctx),
    createGroup: createGroup(ctx),
    addMembers: addMembers(ctx),
    removeMember: removeMember(ctx),
    editMessage: editMessage(ctx),
    deleteMessage: deleteMessage(ctx),
    react: react(ctx),
    unreact: unreact(ctx),
    markDelivered: markDelivered(ctx),
    markRead: markRead(ctx),
  };
};

export type Commands = ReturnType<typeof createCommands>;
