import { notFound } from '../domain/errors.ts';
import type { MessageSent } from '../domain/events.ts';
import type { TargetMessage } from '../domain/chat/commands.ts';
import type { EventStore } from '../event-store/eventStore.ts';

/** A message by id, from its MessageSent event: the id is that event's id. */
export const findMessage = async (store: EventStore, messageId: string): Promise<MessageSent['data'] | null> => {
  if (typeof messageId !== 'string' || messageId.length === 0 || messageId.length > 64) return null;
  const recorded = await store.readEventById(messageId);
  return recorded?.type === 'MessageSent' ? (recorded.data as MessageSent['data']) : null;
};

export const findTarget = async (store: EventStore, messageId: string): Promise<{ chatId: string; target: TargetMessage }> => {
  const message = await findMessage(store, messageId);
  if (!message) throw notFound(`no message ${messageId}`);
  return { chatId: message.chatId, target: { messageId, seq: message.seq, senderId: message.senderId, messageType: message.messageType } };
};
