import { badRequest, forbidden, notFound } from '../errors.ts';
import type { ReceiptEvent } from '../events.ts';
import type { ReceiptCommand } from './commands.ts';
import type { ReceiptsState } from './state.ts';

/**
 * A watermark at or below the current one changes nothing (no event): that is what
 * "never moves backwards" means for a client that acks out of order. Beyond the last
 * seq is bad input.
 */
export const decide = (command: ReceiptCommand, state: ReceiptsState): ReceiptEvent[] => {
  const { chatId, userId, seq, chat } = command.data;
  if (!chat.exists) throw notFound(`no chat ${chatId}`);
  if (!chat.isMember) throw forbidden(`not a member of ${chatId}`);
  if (!Number.isSafeInteger(seq) || seq < 0) throw badRequest('seq must be a non-negative integer');
  if (seq > chat.lastSeq) throw badRequest(`seq ${seq} is beyond the last seq ${chat.lastSeq} of ${chatId}`);
  const marks = command.type === 'MarkRead' ? state.read : state.delivered;
  if (seq <= (marks.get(userId) ?? 0)) return [];
  const data = { chatId, userId, seq, at: command.metadata.now };
  return [command.type === 'MarkRead' ? { type: 'ReadUpTo', data } : { type: 'DeliveredUpTo', data }];
};
