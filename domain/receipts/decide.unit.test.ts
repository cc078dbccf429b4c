import { describe, it } from 'vitest';
import { deciderSpec } from '../../testing/deciderSpec.ts';
import { receiptsDecider } from '../decider.ts';
import type { ReceiptEvent } from '../events.ts';
import type { ChatFacts, ReceiptCommand } from './commands.ts';

const given = deciderSpec(receiptsDecider);
const now = '2026-11-28T10:00:00.000Z';
const chat: ChatFacts = { exists: true, isMember: true, lastSeq: 10 };
const mark = (type: 'MarkDelivered' | 'MarkRead', seq: number, facts = chat): ReceiptCommand => ({
  type,
  data: { chatId: 'g1', userId: 'bob', seq, chat: facts },
  metadata: { now },
});
const read = (seq: number): ReceiptEvent => ({ type: 'ReadUpTo', data: { chatId: 'g1', userId: 'bob', seq, at: now } });
const delivered = (seq: number): ReceiptEvent => ({ type: 'DeliveredUpTo', data: { chatId: 'g1', userId: 'bob', seq, at: now } });

describe('MarkDelivered / MarkRead', () => {
  it('moves a watermark forward', () => given([read(3)]).when(mark('MarkRead', 5)).then([read(5)]));

  it('never moves it backwards: an older or equal mark records nothing', () => {
    given([read(5)]).when(mark('MarkRead', 4)).thenNothing();
    given([read(5)]).when(mark('MarkRead', 5)).thenNothing();
  });

  it('treats reading as delivery', () => given([read(7)]).when(mark('MarkDelivered', 6)).thenNothing());

  it('keeps delivered and read apart the other way', () => given([delivered(7)]).when(mark('MarkRead', 6)).then([read(6)]));

  it('accepts the last seq exactly', () => given([]).when(mark('MarkDelivered', 10)).then([delivered(10)]));

  it('refuses a seq beyond the last one', () => given([]).when(mark('MarkRead', 11)).thenThrows('bad_request', /beyond/));

  it('refuses a negative or fractional seq', () => {
    given([]).when(mark('MarkRead', -1)).thenThrows('bad_request');
    given([]).when(mark('MarkRead', 1.5)).thenThrows('bad_request');
  });

  it('refuses non-members', () => given([]).when(mark('MarkRead', 1, { ...chat, isMember: false })).thenThrows('forbidden'));

  it('refuses an unknown chat', () => given([]).when(mark('MarkRead', 1, { exists: false, isMember: false, lastSeq: 0 })).thenThrows('not_found'));
});
