import { z } from 'zod';
import { idSchema } from '../domain/ids.ts';
import { messageTypeSchema } from '../domain/events.ts';

/** Client → server frames of protocol section 5, one zod schema per type. Sizes are the domain's to check. */
const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const envelopeSchema = z.object({ type: z.string().max(64), ref: z.string().max(128).optional() });

export const frameSchemas = {
  auth: z.object({ token: z.string().max(8192) }),
  message: z.object({
    data: z
      .object({
        chat_id: idSchema.optional(),
        receiver_id: idSchema.optional(),
        message_type: messageTypeSchema,
        content: z.string(),
        client_msg_id: idSchema,
        media_id: z.string().min(1).max(128).optional(),
        reply_to: z.string().min(1).max(64).optional(),
      })
      .refine((d) => (d.chat_id === undefined) !== (d.receiver_id === undefined), { message: 'give exactly one of chat_id and receiver_id' }),
  }),
  ack: z
    .object({ chat_id: idSchema.optional(), seq: seq.optional(), message_id: z.string().min(1).max(64).optional() })
    .refine((f) => (f.message_id !== undefined) !== (f.chat_id !== undefined && f.seq !== undefined), {
      message: 'give chat_id and seq, or message_id',
    }),
  read: z.object({ chat_id: idSchema, seq }),
  typing: z.object({ chat_id: idSchema, state: z.enum(['start', 'stop']).optional() }),
  sync: z.object({ since: z.record(idSchema, seq).default({}), limit: z.number().int().min(1).max(500).optional() }),
  presence_subscribe: z.object({ user_ids: z.array(idSchema).max(500) }),
  ping: z.object({}),
} as const;

export type FrameType = keyof typeof frameSchemas;
export type Frame<T extends FrameType> = z.infer<(typeof frameSchemas)[T]>;

export const isFrameType = (t: string): t is FrameType => Object.hasOwn(frameSchemas, t);
