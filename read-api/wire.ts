import type { GroupView, SendAck, SendMessageInput } from '../commands/index.ts';
import type { MessageType } from '../domain/events.ts';

/** A send as the wire carries it (REST body or WebSocket `message` frame data). */
export type WireSend = {
  chat_id?: string | undefined;
  receiver_id?: string | undefined;
  message_type: MessageType;
  content: string;
  client_msg_id: string;
  media_id?: string | undefined;
  reply_to?: string | undefined;
};

export const sendInputOf = (senderId: string, w: WireSend): SendMessageInput => ({
  senderId,
  ...(w.chat_id !== undefined ? { chatId: w.chat_id } : { receiverId: w.receiver_id! }),
  clientMsgId: w.client_msg_id,
  messageType: w.message_type,
  content: w.content,
  ...(w.media_id !== undefined && { mediaId: w.media_id }),
  ...(w.reply_to !== undefined && { replyTo: w.reply_to }),
});

export const sendAckToWire = (ack: SendAck) => ({
  message_id: ack.messageId,
  chat_id: ack.chatId,
  seq: ack.seq,
  timestamp: ack.timestamp,
  status: ack.status,
});

export const groupToWire = (g: { chatId: string; name: string; members: GroupView['members'] }) => ({
  group_id: g.chatId,
  chat_id: g.chatId,
  name: g.name,
  members: g.members.map((m) => ({ user_id: m.userId, role: m.role })),
});
