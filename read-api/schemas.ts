import { z } from 'zod';
import { idSchema } from '../domain/ids.ts';
import { messageTypeSchema } from '../domain/events.ts';

/**
 * Wire shapes of protocol v1 (section 4), the single source for validation and the
 * OpenAPI document. Sizes are left to the domain, so an oversize content answers
 * `payload_too_large`, not a generic schema error.
 */
export const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).describe('Error');

const messageFields = {
  message_type: messageTypeSchema,
  content: z.string(),
  client_msg_id: idSchema,
  media_id: z.string().min(1).max(128).optional(),
  reply_to: z.string().min(1).max(64).optional(),
};

export const sendDirectBody = z.object({ receiver_id: idSchema, sender_id: idSchema.optional(), ...messageFields });
export const sendGroupBody = z.object({ sender_id: idSchema.optional(), ...messageFields });

export const sendAckSchema = z.object({
  message_id: z.string(),
  chat_id: z.string(),
  seq: z.number().int(),
  timestamp: z.string(),
  status: z.literal('sent'),
});

export const memberSchema = z.object({ user_id: z.string(), role: z.enum(['admin', 'member']) });
export const groupSchema = z.object({ group_id: z.string(), chat_id: z.string(), name: z.string(), members: z.array(memberSchema) });
export const createGroupBody = z.object({ name: z.string(), member_ids: z.array(idSchema).max(10_000) });
export const addMembersBody = z.object({ user_ids: z.array(idSchema).min(1).max(10_000) });

export const messageSchema = z.object({
  message_id: z.string(),
  chat_id: z.string(),
  seq: z.number().int(),
  sender_id: z.string(),
  message_type: z.string(),
  content: z.string(),
  media_id: z.string().optional(),
  reply_to: z.string().optional(),
  client_msg_id: z.string(),
  timestamp: z.string(),
  edited_at: z.string().optional(),
  deleted: z.literal(true).optional(),
  reactions: z.record(z.string(), z.array(z.string())).optional(),
  status: z.enum(['sent', 'delivered', 'read']).optional(),
});

const seqParam = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const historyQuery = z
  .object({
    chat_id: idSchema,
    before: seqParam.optional(),
    after: seqParam.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .refine((q) => q.before === undefined || q.after === undefined, { message: 'give at most one of before and after' });
export const historySchema = z.object({ messages: z.array(messageSchema), has_more: z.boolean() });

export const chatSummarySchema = z.object({
  chat_id: z.string(),
  chat_type: z.enum(['direct', 'group']),
  name: z.string().optional(),
  peer_id: z.string().optional(),
  last_message: messageSchema.nullable(),
  last_seq: z.number().int(),
  read_seq: z.number().int(),
  unread_count: z.number().int(),
  updated_at: z.string(),
});
export const inboxQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50), cursor: z.string().max(512).optional() });
export const inboxSchema = z.object({ chats: z.array(chatSummarySchema), next_cursor: z.string().nullable() });

export const readBody = z.object({ seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) });
export const editBody = z.object({ content: z.string() });
export const receiptsSchema = z.object({
  receipts: z.array(z.object({ user_id: z.string(), delivered_seq: z.number().int(), read_seq: z.number().int() })),
});
export const presenceQuery = z.object({
  user_ids: z
    .string()
    .max(64 * 500 + 500)
    .transform((s) => [...new Set(s.split(',').filter(Boolean))])
    .pipe(z.array(idSchema).max(500)),
});
export const presenceSchema = z.object({
  presence: z.array(z.object({ user_id: z.string(), status: z.enum(['online', 'offline']), last_seen: z.string().nullable() })),
});

export const devTokenBody = z.object({ user_id: idSchema, roles: z.array(z.string().max(64)).max(16).optional() });

export const chatIdParams = z.object({ chat_id: idSchema });
export const groupIdParams = z.object({ id: idSchema });
export const groupMemberParams = z.object({ id: idSchema, user_id: idSchema });
export const messageIdParams = z.object({ message_id: z.string().min(1).max(64) });
export const reactionParams = z.object({ message_id: z.string().min(1).max(64), emoji: z.string().min(1).max(64) });
