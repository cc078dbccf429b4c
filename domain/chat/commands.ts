import type { MessageType } from '../events.ts';

type Command<Type extends string, Data> = { type: Type; data: Data; metadata: { now: string } };

/** A message the command refers to, as recorded by its MessageSent event (looked up by id). */
export type TargetMessage = { messageId: string; seq: number; senderId: string; messageType: MessageType };

export type SendMessage = Command<
  'SendMessage',
  {
    chatId: string;
    senderId: string;
    /** Derived from (senderId, clientMsgId): see `messageIdFor`. */
    messageId: string;
    clientMsgId: string;
    messageType: MessageType;
    content: string;
    mediaId?: string;
    replyTo?: { messageId: string; seq: number };
    /** Set when addressed by receiver: the direct chat is created on its first message. */
    directPeerId?: string;
  }
>;
export type CreateGroup = Command<'CreateGroup', { chatId: string; name: string; creatorId: string; memberIds: string[] }>;
export type AddMembers = Command<'AddMembers', { chatId: string; by: string; userIds: string[] }>;
/** `by === userId` is leaving. */
export type RemoveMember = Command<'RemoveMember', { chatId: string; by: string; userId: string }>;
export type EditMessage = Command<'EditMessage', { chatId: string; by: string; target: TargetMessage; content: string }>;
export type DeleteMessage = Command<'DeleteMessage', { chatId: string; by: string; target: TargetMessage }>;
export type AddReaction = Command<'AddReaction', { chatId: string; by: string; target: TargetMessage; emoji: string }>;
export type RemoveReaction = Command<'RemoveReaction', { chatId: string; by: string; target: TargetMessage; emoji: string }>;

export type ChatCommand =
  | SendMessage
  | CreateGroup
  | AddMembers
  | RemoveMember
  | EditMessage
  | DeleteMessage
  | AddReaction
  | RemoveReaction;
