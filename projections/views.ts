/** Read-side views, shaped as protocol v1 objects (section 3 and 4). */
export type MessageView = {
  message_id: string;
  chat_id: string;
  seq: number;
  sender_id: string;
  message_type: string;
  content: string;
  media_id?: string;
  reply_to?: string;
  client_msg_id: string;
  timestamp: string;
  edited_at?: string;
  deleted?: true;
  reactions?: Record<string, string[]>;
  status?: 'sent' | 'delivered' | 'read';
};

export type ChatSummary = {
  chat_id: string;
  chat_type: 'direct' | 'group';
  name?: string;
  peer_id?: string;
  last_message: MessageView | null;
  last_seq: number;
  read_seq: number;
  unread_count: number;
  updated_at: string;
};

export type ChatInfo = { chat_id: string; chat_type: 'direct' | 'group'; name: string | null };
export type MemberView = { user_id: string; role: 'admin' | 'member' };
export type ReceiptView = { user_id: string; delivered_seq: number; read_seq: number };

export type HistoryPage = { messages: MessageView[]; has_more: boolean };
export type InboxPage = { chats: ChatSummary[]; next_cursor: string | null };
