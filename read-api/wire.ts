import type { SendAck } from '../commands/index.ts';
import type { GroupView } from '../commands/index.ts';

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
