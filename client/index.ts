/** The chat SDK: protocol v1 over WebSocket, for browsers and Node. */
export { createChatClient } from './createChatClient.ts';
export type { ChatClient, ChatClientEvents, ChatClientOptions, ChatClientState, ConnectionStatus, SendInput } from './createChatClient.ts';
export { ChatClientError, RETRYABLE_CODES, isRetryable } from './errors.ts';
export { createBackoff, fullJitter, backoffCeiling, DEFAULT_BACKOFF } from './backoff.ts';
export type { Backoff, BackoffOptions } from './backoff.ts';
export { createSeqTracker } from './seqTracker.ts';
export type { SeqTracker, Accepted, Sequenced } from './seqTracker.ts';
export { createSendQueue } from './sendQueue.ts';
export type { SendQueue, QueuedSend, SendState } from './sendQueue.ts';
export { createEmitter } from './emitter.ts';
export type { Emitter } from './emitter.ts';
export type { SocketLike, WebSocketConstructor } from './socket.ts';
export type {
  AckData,
  ChatMessage,
  ClientFrame,
  ErrorCode,
  MembershipData,
  MessageType,
  PresenceData,
  ReceiptData,
  SendData,
  ServerFrame,
  SyncChat,
  TypingData,
  WireError,
} from './frames.ts';
