/**
 * The wire shapes of protocol v1 section 5 (WebSocket), as the SDK sees them. Only
 * what the SDK reads or writes is typed; servers may add fields, so everything
 * received is parsed leniently (unknown frame types are ignored, not errors).
 */

export type MessageType = 'text' | 'image' | 'video' | 'file' | 'encrypted';

/** Section 3's message object. */
export type ChatMessage = {
  message_id: string;
  chat_id: string;
  seq: number;
  sender_id: string;
  message_type: MessageType;
  content: string;
  media_id?: string;
  reply_to?: string;
  client_msg_id: string;
  timestamp: string;
  edited_at?: string;
  deleted?: boolean;
  reactions?: Record<string, string[]>;
  status?: 'sent' | 'delivered' | 'read';
};

export type AckData = {
  client_msg_id: string;
  message_id: string;
  chat_id: string;
  seq: number;
  timestamp: string;
  status: 'sent';
};

export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'duplicate_conflict'
  | 'group_full'
  | 'payload_too_large'
  | 'rate_limited'
  | 'unavailable'
  | (string & {});

export type WireError = { code: ErrorCode; message: string };

export type SyncChat = {
  chat_id: string;
  last_seq: number;
  read_seq: number;
  unread_count: number;
  messages: ChatMessage[];
  has_more: boolean;
};

export type ReceiptData = { chat_id: string; kind: 'delivered' | 'read'; seq: number; user_id?: string };
export type TypingData = { chat_id: string; user_id: string; state: 'start' | 'stop' };
export type PresenceData = { user_id: string; status: 'online' | 'offline'; last_seen: string | null };
export type MembershipData = { chat_id: string; event: 'added' | 'removed'; user_id: string };

export type SendData = {
  chat_id?: string;
  receiver_id?: string;
  message_type: MessageType;
  content: string;
  client_msg_id: string;
  media_id?: string;
  reply_to?: string;
};

export type ClientFrame =
  | { type: 'auth'; token: string }
  | { type: 'message'; ref: string; data: SendData }
  | { type: 'ack'; chat_id: string; seq: number }
  | { type: 'read'; chat_id: string; seq: number }
  | { type: 'typing'; chat_id: string; state: 'start' | 'stop' }
  | { type: 'sync'; ref: string; since: Record<string, number>; limit?: number }
  | { type: 'presence_subscribe'; ref?: string; user_ids: string[] }
  | { type: 'ping'; ref?: string };

export type ServerFrame =
  | { type: 'auth_ok'; user_id: string; session_id: string }
  | { type: 'ack'; ref?: string; data: AckData }
  | { type: 'error'; ref?: string; error: WireError }
  | { type: 'message'; data: ChatMessage }
  | { type: 'message_update'; data: ChatMessage }
  | { type: 'receipt'; data: ReceiptData }
  | { type: 'typing'; data: TypingData }
  | { type: 'presence'; ref?: string; data: PresenceData }
  | { type: 'membership'; data: MembershipData }
  | { type: 'sync'; ref?: string; data: { chats: SyncChat[] } }
  | { type: 'pong'; ref?: string };

const KNOWN = new Set(['auth_ok', 'ack', 'error', 'message', 'message_update', 'receipt', 'typing', 'presence', 'membership', 'sync', 'pong']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A received text frame, or null when it is not JSON, not an object, or a type the
 * SDK does not know (a newer server may add frame types; they are skipped).
 * Structural checks stop at what the SDK dereferences, so a malformed frame cannot
 * throw inside the client.
 */
export const parseServerFrame = (text: string): ServerFrame | null => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value) || typeof value.type !== 'string' || !KNOWN.has(value.type)) return null;
  switch (value.type) {
    case 'auth_ok':
    case 'pong':
      return value as ServerFrame;
    case 'error':
      return isObject(value.error) ? (value as ServerFrame) : null;
    case 'message':
    case 'message_update':
      return isObject(value.data) && typeof value.data.chat_id === 'string' && typeof value.data.seq === 'number' ? (value as ServerFrame) : null;
    case 'sync':
      return isObject(value.data) && Array.isArray(value.data.chats) ? (value as ServerFrame) : null;
    default:
      return isObject(value.data) ? (value as ServerFrame) : null;
  }
};

/** Received frame payloads may be strings (browsers, `ws` text frames) or bytes. */
export const frameText = (data: unknown): string | null => {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return null;
};
