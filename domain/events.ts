import { z } from 'zod';
import { idSchema } from './ids.ts';

/**
 * Every fact the chat records, as zod schemas with their inferred types.
 * Chat streams (`chat-<id>`) hold membership and messages; receipt streams
 * (`receipts-<id>`) hold watermarks, so readers never contend with senders.
 */
export const roleSchema = z.enum(['admin', 'member']);
export type Role = z.infer<typeof roleSchema>;

export const chatTypeSchema = z.enum(['direct', 'group']);
export type ChatType = z.infer<typeof chatTypeSchema>;

export const messageTypeSchema = z.enum(['text', 'image', 'video', 'file', 'encrypted']);
export type MessageType = z.infer<typeof messageTypeSchema>;

const at = z.string(); // ISO 8601 UTC with milliseconds, server time
const seq = z.number().int().positive();

const event = <T extends string, D extends z.ZodRawShape>(type: T, data: D) =>
  z.object({ type: z.literal(type), data: z.object(data) });

export const chatCreatedSchema = event('ChatCreated', {
  chatId: idSchema,
  chatType: chatTypeSchema,
  name: z.string().nullable(),
  members: z.array(z.object({ userId: idSchema, role: roleSchema })),
  createdBy: idSchema,
  at,
});
export const memberAddedSchema = event('MemberAdded', {
  chatId: idSchema,
  userId: idSchema,
  role: roleSchema,
  addedBy: idSchema,
  at,
});
export const memberRemovedSchema = event('MemberRemoved', {
  chatId: idSchema,
  userId: idSchema,
  removedBy: idSchema,
  at,
});
/** The last admin left: the longest-standing member takes over, so a group is never unmanaged. */
export const memberPromotedSchema = event('MemberPromoted', {
  chatId: idSchema,
  userId: idSchema,
  at,
});
export const messageSentSchema = event('MessageSent', {
  chatId: idSchema,
  messageId: z.string(),
  seq,
  senderId: idSchema,
  clientMsgId: idSchema,
  messageType: messageTypeSchema,
  content: z.string(),
  mediaId: z.string().optional(),
  replyTo: z.string().optional(),
  at,
});
export const messageEditedSchema = event('MessageEdited', {
  chatId: idSchema,
  messageId: z.string(),
  seq,
  content: z.string(),
  editedBy: idSchema,
  at,
});
export const messageDeletedSchema = event('MessageDeleted', {
  chatId: idSchema,
  messageId: z.string(),
  seq,
  deletedBy: idSchema,
  at,
});
export const reactionAddedSchema = event('ReactionAdded', {
  chatId: idSchema,
  messageId: z.string(),
  seq,
  emoji: z.string(),
  userId: idSchema,
  at,
});
export const reactionRemovedSchema = event('ReactionRemoved', {
  chatId: idSchema,
  messageId: z.string(),
  seq,
  emoji: z.string(),
  userId: idSchema,
  at,
});

export const chatEventSchema = z.discriminatedUnion('type', [
  chatCreatedSchema,
  memberAddedSchema,
  memberRemovedSchema,
  memberPromotedSchema,
  messageSentSchema,
  messageEditedSchema,
  messageDeletedSchema,
  reactionAddedSchema,
  reactionRemovedSchema,
]);
export type ChatEvent = z.infer<typeof chatEventSchema>;

/** Watermarks: "delivered up to seq", "read up to seq", per user and chat. Reading implies delivery. */
export const deliveredUpToSchema = event('DeliveredUpTo', { chatId: idSchema, userId: idSchema, seq, at });
export const readUpToSchema = event('ReadUpTo', { chatId: idSchema, userId: idSchema, seq, at });

export const receiptEventSchema = z.discriminatedUnion('type', [deliveredUpToSchema, readUpToSchema]);
export type ReceiptEvent = z.infer<typeof receiptEventSchema>;

export type DomainEvent = ChatEvent | ReceiptEvent;
export type EventOfType<T extends DomainEvent['type']> = Extract<DomainEvent, { type: T }>;
export type MessageSent = EventOfType<'MessageSent'>;
export type ChatCreated = EventOfType<'ChatCreated'>;

export const domainEventSchema = z.union([chatEventSchema, receiptEventSchema]);
