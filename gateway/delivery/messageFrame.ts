import type { MessageSent } from '../../domain/events.ts';
import type { MessageView } from '../../projections/views.ts';

/** A MessageSent as the protocol's message object: live delivery needs no read-model lookup. */
export const messageOf = (d: MessageSent['data']): MessageView => ({
  message_id: d.messageId,
  chat_id: d.chatId,
  seq: d.seq,
  sender_id: d.senderId,
  message_type: d.messageType,
  content: d.content,
  ...(d.mediaId !== undefined && { media_id: d.mediaId }),
  ...(d.replyTo !== undefined && { reply_to: d.replyTo }),
  client_msg_id: d.clientMsgId,
  timestamp: d.at,
});
