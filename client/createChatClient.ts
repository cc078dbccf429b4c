import { createBackoff, fullJitter, type BackoffOptions } from './backoff.ts';
import { createEmitter, type Emitter } from './emitter.ts';
import { ChatClientError, isRetryable } from './errors.ts';
import {
  frameText,
  parseServerFrame,
  type AckData,
  type ChatMessage,
  type ClientFrame,
  type MembershipData,
  type MessageType,
  type PresenceData,
  type ReceiptData,
  type SendData,
  type ServerFrame,
  type SyncChat,
  type TypingData,
} from './frames.ts';
import { newClientMsgId } from './ids.ts';
import { createRequests } from './requests.ts';
import { createSendQueue, type SendQueue } from './sendQueue.ts';
import { createSeqTracker, type SeqTracker } from './seqTracker.ts';
import { abandon, defaultWebSocket, OPEN, type SocketLike, type WebSocketConstructor } from './socket.ts';

export type ChatClientOptions = {
  /**
   * The WebSocket endpoint, e.g. `wss://chat.example.com/v1/ws`, or several (gateway
   * nodes): each reconnect tries the next one, so a dead node is left at once.
   */
  url: string | readonly string[];
  /** A fixed access token… */
  token?: string;
  /** …or a source of tokens, asked on every connect, and again once after a 4401. */
  getToken?: () => Promise<string>;
  deviceId?: string;
  /** Default `globalThis.WebSocket`; in Node pass `WebSocket` from `ws`. */
  WebSocket?: WebSocketConstructor;
  /** Reconnect and retry delays (full jitter). Default base 250 ms, max 30 s. */
  backoff?: BackoffOptions;
  /** Send coalesced delivered `ack`s for what the app received. Default true. */
  autoAck?: boolean;
  /** How often at most an auto ack goes out per chat. Default 100 ms. */
  autoAckIntervalMs?: number;
  /** Fetch the full history of chats first seen in a sync answer. Default false: they start at their `last_seq`. */
  syncNewChats?: boolean;
  /** `limit` of each sync request (server max 500). Default 100. */
  syncLimit?: number;
  /** Starting points: "I already hold chat X up to seq N". */
  knownSeqs?: Record<string, number>;
  /** No `auth_ok` within this long after the socket opened: drop and reconnect. Default 10 s. */
  authTimeoutMs?: number;
  /** App-level ping interval (and pong timeout) to notice dead connections; 0 = off. Default 25 s. */
  heartbeatMs?: number;
  /** Re-check a gap left behind our own ack after this long (live delivery may trail the ack). Default 500 ms. */
  ownGapDelayMs?: number;
  /**
   * Sends in flight at once (pipelined, without waiting for acks, up to this many).
   * Default 100. The actual window adapts below this like TCP's: back to 1 on a
   * rate_limited / unavailable refusal, then slow start up to half the old window.
   */
  maxInFlight?: number;
  /** A send unanswered this long on a live connection is written again (same client_msg_id). Default 20 s. */
  sendTimeoutMs?: number;
  /** Connect at once. Default true; false waits for `connect()`. */
  autoConnect?: boolean;
};

export type SendInput = {
  chatId?: string;
  receiverId?: string;
  messageType: MessageType;
  content: string;
  mediaId?: string;
  replyTo?: string;
  clientMsgId?: string;
};

export type ChatClientEvents = {
  message: ChatMessage;
  message_update: ChatMessage;
  receipt: ReceiptData;
  typing: TypingData;
  presence: PresenceData;
  membership: MembershipData;
  connected: { userId: string; sessionId: string };
  disconnected: { code: number; reason: string };
  error: ChatClientError;
};

export type ConnectionStatus = 'idle' | 'connecting' | 'authenticating' | 'connected' | 'closed';

export type ChatClientState = {
  status: ConnectionStatus;
  connected: boolean;
  userId: string | undefined;
  sessionId: string | undefined;
  /** Sends not acknowledged yet. */
  queued: number;
  /** Per chat, the highest seq delivered contiguously (own sends included). */
  lastSeq: Record<string, number>;
  /** Messages held back behind a gap. */
  held: number;
};

export type ChatClient = Pick<Emitter<ChatClientEvents>, 'on' | 'off' | 'once'> & {
  send(input: SendInput): Promise<AckData>;
  /** Delivered watermark (auto acks do this for you unless `autoAck: false`). */
  ack(chatId: string, seq: number): void;
  read(chatId: string, seq: number): void;
  typing(chatId: string, state?: 'start' | 'stop'): void;
  /** Watch these users' presence; kept and re-subscribed after every reconnect. */
  subscribePresence(userIds: string[]): void;
  /** Round trip in ms. */
  ping(timeoutMs?: number): Promise<number>;
  /** The app holds chat `chatId` up to `seq`: deliver only what follows. */
  setLastSeq(chatId: string, seq: number): void;
  knownSeqs(): Record<string, number>;
  /** Starts connecting: needed with `autoConnect: false`, or to try again after a final auth failure. */
  connect(): void;
  /** Deliberate: no reconnect; unacknowledged sends reject with code `closed`. */
  close(): void;
  state(): ChatClientState;
  /** Test hooks; not part of the API. */
  __testing: { socket(): SocketLike | null; tracker: SeqTracker<ChatMessage>; queue: SendQueue };
};

/** The protocol's frame limit (64 KiB; bigger closes the connection with 1009, which a re-send would repeat forever). */
const MAX_FRAME_BYTES = 64 * 1024;
const PRESENCE_BATCH = 500;

export const createChatClient = (options: ChatClientOptions): ChatClient => {
  if (!options.token && !options.getToken) throw new TypeError('createChatClient: pass token or getToken');
  const WebSocketImpl = options.WebSocket ?? defaultWebSocket();
  const autoAck = options.autoAck ?? true;
  const autoAckIntervalMs = options.autoAckIntervalMs ?? 100;
  // The server refuses a limit over 500 (bad_request) rather than clamping it.
  const syncLimit = Math.min(500, Math.max(1, Math.floor(options.syncLimit ?? 100)));
  const authTimeoutMs = options.authTimeoutMs ?? 10_000;
  const heartbeatMs = options.heartbeatMs ?? 25_000;
  const ownGapDelayMs = options.ownGapDelayMs ?? 500;
  const backoffOptions = options.backoff ?? {};
  const maxInFlight = options.maxInFlight ?? 100;
  const sendTimeoutMs = options.sendTimeoutMs ?? 20_000;

  const emitter = createEmitter<ChatClientEvents>();
  const reconnectBackoff = createBackoff(backoffOptions);
  let refCounter = 0;
  const newRef = () => `r${++refCounter}`;
  const queue = createSendQueue(newRef);
  const tracker = createSeqTracker<ChatMessage>(options.knownSeqs);
  const requests = createRequests((ref) => new ChatClientError('timeout', `no answer to ${ref}`, ref));

  let status: ConnectionStatus = 'idle';
  let socket: SocketLike | null = null;
  let userId: string | undefined;
  let sessionId: string | undefined;
  let closedByApp = false;
  // Set when auth failed for good (4401, no fresh token): sends are refused until connect() is called again.
  let dead: ChatClientError | undefined;
  // A 4401 earns one immediate retry with a fresh token from getToken; reset by auth_ok.
  let authRetried = false;

  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let authTimer: ReturnType<typeof setTimeout> | undefined;
  let heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  let ackTimer: ReturnType<typeof setTimeout> | undefined;
  const sendRetryTimers = new Map<string, ReturnType<typeof setTimeout>>();
  // Consecutive unattributed refusal pauses (see onUnattributedRefusal); reset when the queue drains or on connect.
  let refusals = 0;
  // The send window, as TCP's congestion window: a refusal sets the threshold to half of
  // what was in flight and restarts from 1; then +1 per ack (slow start, doubling per
  // round trip) up to the threshold, +1/window per ack above it. Fractional; floored when used.
  let window = maxInFlight;
  let threshold = maxInFlight;
  // Acks of sends written before the last refusal say nothing about the new window: they don't grow it.
  let refusedAt = -Infinity;
  const shrinkWindow = () => {
    refusedAt = Date.now();
    const inflight = queue.entries().filter((e) => e.state === 'inflight').length;
    threshold = Math.max(1, Math.min(window, Math.max(inflight, 1)) / 2);
    window = 1;
  };

  let refusalTimer: ReturnType<typeof setTimeout> | undefined;
  let refusalDelay = 0;
  let expiryTimer: ReturnType<typeof setInterval> | undefined;
  const gapTimers = new Map<string, ReturnType<typeof setTimeout>>();
  const gapAttempts = new Map<string, number>();

  // Chats with a sync in flight: a gap there waits for that answer instead of asking twice.
  const syncing = new Set<string>();
  // Delivered watermarks the auto ack still owes the server, and the last ones sent.
  const ackDirty = new Set<string>();
  const ackSent = new Map<string, number>();
  // Explicit watermarks made while offline: sent after the next auth_ok.
  const pendingAcks = new Map<string, number>();
  const pendingReads = new Map<string, number>();
  const watchedUsers = new Set<string>();

  const fail = (error: ChatClientError) => emitter.emit('error', error);

  const write = (frame: ClientFrame): boolean => {
    if (!socket || socket.readyState !== OPEN) return false;
    try {
      socket.send(JSON.stringify(frame));
      return true;
    } catch {
      // The socket is going away; its close handler re-queues what matters.
      return false;
    }
  };

  // ---- incoming messages: one ordering path for live and synced ones ----

  const deliver = (messages: ChatMessage[]) => {
    for (const message of messages) {
      emitter.emit('message', message);
      if (autoAck) ackDirty.add(message.chat_id);
    }
    if (messages.length && autoAck) scheduleAutoAck();
  };

  // Our own pending send seen in a sync answer (stored, ack lost with the old socket): held as own, not shown.
  const isOwnPending = (message: ChatMessage) => message.sender_id === userId && queue.hasClientMsgId(message.client_msg_id);

  const take = (message: ChatMessage) => {
    const result = isOwnPending(message) ? tracker.markOwn(message.chat_id, message.seq) : tracker.accept(message);
    deliver(result.deliver);
    return result.gap;
  };

  const onLiveMessage = (message: ChatMessage) => {
    if (take(message)) requestGapSync(message.chat_id, 0);
    else gapAttempts.delete(message.chat_id);
  };

  // ---- sync ----

  const syncRequest = (since: Record<string, number>) => {
    const ref = newRef();
    const answer = requests.create<{ chats: SyncChat[] }>(ref, 30_000);
    if (!write({ type: 'sync', ref, since, limit: syncLimit })) requests.reject(ref, new ChatClientError('disconnected', 'not connected', ref));
    return answer;
  };

  /**
   * Syncs `since`'s chats, paging while `has_more`, and learns chats the answer names
   * that we never saw. Everything goes through `take`, so a message that also came
   * live is dropped as a repeat.
   */
  const runSync = async (initialSince: Record<string, number>, { always = false } = {}) => {
    const chats = Object.keys(initialSince);
    for (const chatId of chats) syncing.add(chatId);
    let since = initialSince;
    let failed: ChatClientError | undefined;
    try {
      // `always`: the connect sync goes out even with nothing to name, to learn the user's chats.
      for (let first = true; (first && always) || Object.keys(since).length; first = false) {
        const answer = await syncRequest(since);
        // A Map, not an object literal: chat ids like `__proto__` or `constructor` are valid ids.
        const next = new Map<string, number>();
        for (const chat of answer.chats ?? []) {
          if (Object.hasOwn(since, chat.chat_id)) {
            const messages = [...(chat.messages ?? [])].sort((a, b) => a.seq - b.seq);
            for (const message of messages) take(message);
            if (chat.has_more) {
              const from = tracker.lastSeq(chat.chat_id) ?? 0;
              // No progress on a page that said "more": stop rather than loop; the gap check retries later.
              if (from > (since[chat.chat_id] ?? 0)) next.set(chat.chat_id, from);
            }
          } else if (!tracker.has(chat.chat_id)) {
            if (options.syncNewChats) {
              tracker.learn(chat.chat_id, 0);
              syncing.add(chat.chat_id);
              chats.push(chat.chat_id);
              next.set(chat.chat_id, 0);
            } else tracker.learn(chat.chat_id, chat.last_seq);
          }
        }
        since = Object.fromEntries(next);
      }
    } catch (e) {
      failed = e instanceof ChatClientError ? e : new ChatClientError('protocol', String(e));
    } finally {
      for (const chatId of chats) syncing.delete(chatId);
    }
    // A lost connection is handled by the reconnect's sync; any other failure is reported and retried.
    const retry = failed !== undefined && failed.code !== 'disconnected';
    if (retry && !isRetryable(failed!.code)) fail(failed!);
    if (status !== 'connected') return;
    if (retry && always && !gapTimers.has('*')) {
      // The connect sync failed: ask again (it also learns new chats), backing off.
      const attempt = gapAttempts.get('*') ?? 0;
      gapAttempts.set('*', attempt + 1);
      gapTimers.set(
        '*',
        setTimeout(() => {
          gapTimers.delete('*');
          if (status === 'connected') void runSync(tracker.known(), { always: true });
        }, Math.max(1, fullJitter(attempt, backoffOptions))),
      );
      return;
    }
    if (always && !retry) gapAttempts.delete('*');
    for (const chatId of chats) {
      if (tracker.hasGap(chatId) || retry) {
        // Reads may trail live delivery (section 3): the missing seqs may not be readable yet. Back off and ask again.
        const attempt = gapAttempts.get(chatId) ?? 0;
        gapAttempts.set(chatId, attempt + 1);
        requestGapSync(chatId, Math.max(1, fullJitter(attempt, backoffOptions)));
      } else gapAttempts.delete(chatId);
    }
  };

  const requestGapSync = (chatId: string, delayMs: number) => {
    if (status !== 'connected' || syncing.has(chatId) || gapTimers.has(chatId)) return;
    const start = () => {
      gapTimers.delete(chatId);
      if (status !== 'connected' || syncing.has(chatId)) return;
      if (!tracker.hasGap(chatId) && gapAttempts.get(chatId) === undefined) return;
      void runSync({ [chatId]: tracker.lastSeq(chatId) ?? 0 });
    };
    if (delayMs <= 0) start();
    else gapTimers.set(chatId, setTimeout(start, delayMs));
  };

  // ---- sends ----

  const flushSends = () => {
    if (status !== 'connected') return;
    for (const entry of queue.takeSendable(Math.max(1, Math.floor(window)), Date.now())) write({ type: 'message', ref: entry.ref, data: entry.data });
  };

  const onAck = (ref: string | undefined, data: AckData) => {
    if (ref === undefined) return;
    const entry = queue.settle(ref, data);
    if (!entry) return;
    if (entry.sentAt > refusedAt) window = Math.min(maxInFlight, window < threshold ? window + 1 : window + 1 / window);
    if (queue.size === 0) refusals = 0;
    if (refusalTimer !== undefined) armRefusalPause();
    flushSends(); // the window has room again
    const result = tracker.markOwn(data.chat_id, data.seq);
    deliver(result.deliver);
    // Live delivery may trail our ack: give the missing seqs a moment before syncing.
    if (result.gap) requestGapSync(data.chat_id, ownGapDelayMs);
  };

  const onSendError = (ref: string, error: ChatClientError) => {
    if (!isRetryable(error.code)) {
      queue.fail(ref, error);
      return;
    }
    const sentAt = queue.get(ref)?.sentAt ?? 0;
    const entry = queue.hold(ref);
    if (!entry) return;
    // Once per burst: refusals of sends written before the last shrink are the same congestion.
    if (sentAt > refusedAt) shrinkWindow();
    sendRetryTimers.set(
      ref,
      setTimeout(() => {
        sendRetryTimers.delete(ref);
        queue.release(ref);
        flushSends();
      }, fullJitter(entry.retries - 1, backoffOptions)),
    );
  };

  /**
   * A `rate_limited`/`unavailable` error without a `ref` (protocol section 2 says the
   * ref is echoed "if any"; a server may refuse a frame before reading its ref). It may
   * have been any in-flight send or request: pause, then re-send the sends still
   * unanswered (dedup makes a repeat harmless) and retry the requests.
   */
  const onUnattributedRefusal = (error: ChatClientError) => {
    requests.rejectAll(error);
    // Everything in flight now may be the refused one, including what went out during a pause.
    queue.holdInflight();
    if (refusalTimer !== undefined) return;
    // The first refusal of a burst shrinks the window and starts the pause.
    shrinkWindow();
    refusalDelay = Math.max(backoffOptions.baseMs ?? 250, fullJitter(refusals++, backoffOptions));
    armRefusalPause();
  };

  /**
   * The pause ends `refusalDelay` after the last ack: while acks still arrive, held sends
   * may be ones the server accepted and is still committing, and re-sending those only
   * spends the rate budget on repeats.
   */
  const armRefusalPause = () => {
    if (refusalTimer !== undefined) clearTimeout(refusalTimer);
    refusalTimer = setTimeout(() => {
      refusalTimer = undefined;
      for (const entry of queue.entries()) if (entry.state === 'waiting' && !sendRetryTimers.has(entry.ref)) queue.release(entry.ref);
      flushSends();
    }, refusalDelay);
  };

  // ---- watermarks ----

  const scheduleAutoAck = () => {
    if (ackTimer !== undefined || status !== 'connected') return;
    ackTimer = setTimeout(() => {
      ackTimer = undefined;
      flushAutoAcks();
    }, autoAckIntervalMs);
  };

  const flushAutoAcks = () => {
    if (status !== 'connected') return;
    for (const chatId of ackDirty) {
      const seq = tracker.lastSeq(chatId) ?? 0;
      if (seq > (ackSent.get(chatId) ?? 0) && write({ type: 'ack', chat_id: chatId, seq })) ackSent.set(chatId, seq);
    }
    ackDirty.clear();
  };

  const watermark = (kind: 'ack' | 'read', pending: Map<string, number>, chatId: string, seq: number) => {
    if (status === 'connected' && write({ type: kind, chat_id: chatId, seq })) {
      if (kind === 'ack') ackSent.set(chatId, Math.max(seq, ackSent.get(chatId) ?? 0));
      return;
    }
    pending.set(chatId, Math.max(seq, pending.get(chatId) ?? 0));
  };

  // ---- connection lifecycle ----

  const clearTimers = () => {
    for (const t of [reconnectTimer, authTimer, ackTimer, refusalTimer]) if (t !== undefined) clearTimeout(t);
    if (heartbeatTimer !== undefined) clearInterval(heartbeatTimer);
    if (expiryTimer !== undefined) clearInterval(expiryTimer);
    reconnectTimer = authTimer = ackTimer = heartbeatTimer = refusalTimer = expiryTimer = undefined;
    for (const t of sendRetryTimers.values()) clearTimeout(t);
    sendRetryTimers.clear();
    for (const t of gapTimers.values()) clearTimeout(t);
    gapTimers.clear();
  };

  const resolveToken = async () => (options.getToken ? options.getToken() : (options.token as string));

  const endpoints = typeof options.url === 'string' ? [options.url] : [...options.url];
  if (endpoints.length === 0) throw new TypeError('createChatClient: url must name at least one endpoint');
  let endpoint = 0;
  const wsUrl = () => {
    const url = new URL(endpoints[endpoint % endpoints.length]!);
    if (options.deviceId) url.searchParams.set('device_id', options.deviceId);
    return url.toString();
  };

  const connect = async () => {
    if (closedByApp || socket || status === 'connecting') return;
    status = 'connecting';
    let token: string;
    try {
      token = await resolveToken();
    } catch (e) {
      status = 'idle';
      fail(new ChatClientError('auth_failed', `getToken failed: ${String(e)}`));
      scheduleReconnect();
      return;
    }
    if (closedByApp) return;
    let ws: SocketLike;
    try {
      ws = new WebSocketImpl(wsUrl());
    } catch (e) {
      status = 'idle';
      fail(new ChatClientError('protocol', `cannot open a WebSocket: ${String(e)}`));
      scheduleReconnect();
      return;
    }
    socket = ws;
    // Each handler checks it still belongs to the current socket: a dropped one may still fire.
    ws.onopen = () => {
      if (socket !== ws) return;
      status = 'authenticating';
      // First-frame auth: the only form the server answers with auth_ok (protocol section 5).
      write({ type: 'auth', token });
      authTimer = setTimeout(() => {
        if (socket === ws) drop(4000, 'auth timeout');
      }, authTimeoutMs);
    };
    ws.onmessage = (event: { data: unknown }) => {
      if (socket !== ws) return;
      const text = frameText(event.data);
      const frame = text === null ? null : parseServerFrame(text);
      if (frame) onFrame(frame);
    };
    ws.onclose = (event: { code?: number; reason?: string }) => {
      if (socket !== ws) return;
      onClosed(event.code ?? 1006, event.reason ?? '');
    };
    ws.onerror = () => {
      /* a close event follows every error */
    };
  };

  /** Gives up on the current socket at once (dead peer, auth timeout), as if it closed with `code`. */
  const drop = (code: number, reason: string) => {
    const ws = socket;
    if (!ws) return;
    abandon(ws);
    onClosed(code, reason);
  };

  const onClosed = (code: number, reason: string) => {
    const wasConnected = status === 'connected';
    socket = null;
    status = closedByApp ? 'closed' : 'idle';
    clearTimers();
    syncing.clear();
    queue.disconnected();
    requests.rejectAll(new ChatClientError('disconnected', `connection closed (${code})`));
    if (wasConnected) emitter.emit('disconnected', { code, reason });
    if (closedByApp) return;
    if (code === 4401) {
      if (options.getToken && !authRetried) {
        authRetried = true;
        void connect();
        return;
      }
      status = 'closed';
      const error = new ChatClientError('auth_failed', `authentication refused (4401${reason ? `: ${reason}` : ''})`);
      dead = error;
      fail(error);
      queue.rejectAll(error);
      return;
    }
    scheduleReconnect();
  };

  const scheduleReconnect = () => {
    if (closedByApp || reconnectTimer !== undefined) return;
    endpoint++;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connect();
    }, reconnectBackoff.next());
  };

  const onAuthOk = (frame: { user_id: string; session_id: string }) => {
    if (authTimer !== undefined) clearTimeout(authTimer);
    authTimer = undefined;
    status = 'connected';
    userId = frame.user_id;
    sessionId = frame.session_id;
    authRetried = false;
    reconnectBackoff.reset();
    // A new session starts with a fresh rate budget at the server.
    refusals = 0;
    window = threshold = maxInFlight;
    refusedAt = -Infinity;
    emitter.emit('connected', { userId: frame.user_id, sessionId: frame.session_id });
    if (status !== 'connected') return; // a listener closed us
    for (const [chatId, seq] of pendingReads) write({ type: 'read', chat_id: chatId, seq });
    pendingReads.clear();
    for (const [chatId, seq] of pendingAcks) if (write({ type: 'ack', chat_id: chatId, seq })) ackSent.set(chatId, Math.max(seq, ackSent.get(chatId) ?? 0));
    pendingAcks.clear();
    const users = [...watchedUsers];
    for (let i = 0; i < users.length; i += PRESENCE_BATCH) write({ type: 'presence_subscribe', ref: newRef(), user_ids: users.slice(i, i + PRESENCE_BATCH) });
    // Sends first (in their original order, same client_msg_id), then catch up on what we missed.
    flushSends();
    void runSync(tracker.known(), { always: true });
    if (ackDirty.size) scheduleAutoAck();
    if (sendTimeoutMs > 0 && sendTimeoutMs < Infinity)
      expiryTimer = setInterval(() => {
        if (queue.expire(Date.now() - sendTimeoutMs) > 0) flushSends();
      }, Math.max(10, Math.min(5_000, sendTimeoutMs / 2)));
    if (heartbeatMs > 0) {
      let outstanding = false;
      heartbeatTimer = setInterval(() => {
        if (outstanding) return;
        outstanding = true;
        const ws = socket;
        ping(heartbeatMs).then(
          () => (outstanding = false),
          (e: ChatClientError) => {
            outstanding = false;
            if (e.code === 'timeout' && socket === ws) drop(4000, 'heartbeat timeout');
          },
        );
      }, heartbeatMs);
    }
  };

  const onFrame = (frame: ServerFrame) => {
    switch (frame.type) {
      case 'auth_ok':
        onAuthOk(frame);
        return;
      case 'ack':
        onAck(frame.ref, frame.data);
        return;
      case 'error': {
        const error = new ChatClientError(frame.error.code, frame.error.message, frame.ref);
        if (frame.ref !== undefined && queue.get(frame.ref)) onSendError(frame.ref, error);
        else if (frame.ref !== undefined && requests.reject(frame.ref, error)) return;
        else {
          if (frame.ref === undefined && isRetryable(error.code)) onUnattributedRefusal(error);
          fail(error);
        }
        return;
      }
      case 'message':
        onLiveMessage(frame.data);
        return;
      case 'sync':
        if (frame.ref !== undefined) requests.resolve(frame.ref, frame.data);
        return;
      case 'pong':
        if (frame.ref !== undefined) requests.resolve(frame.ref, undefined);
        return;
      case 'message_update':
      case 'receipt':
      case 'typing':
      case 'presence':
      case 'membership':
        (emitter.emit as (event: string, payload: unknown) => void)(frame.type, frame.data);
        return;
    }
  };

  // ---- the API ----

  const ping = async (timeoutMs = 10_000) => {
    const ref = newRef();
    const started = Date.now();
    const answer = requests.create<void>(ref, timeoutMs);
    if (!write({ type: 'ping', ref })) requests.reject(ref, new ChatClientError('disconnected', 'not connected', ref));
    await answer;
    return Date.now() - started;
  };

  const send = (input: SendInput): Promise<AckData> => {
    if (closedByApp) return Promise.reject(new ChatClientError('closed', 'the client is closed'));
    if (dead) return Promise.reject(dead);
    if (!input.chatId === !input.receiverId) return Promise.reject(new ChatClientError('bad_request', 'send: pass exactly one of chatId and receiverId'));
    const data: SendData = {
      ...(input.chatId !== undefined ? { chat_id: input.chatId } : { receiver_id: input.receiverId as string }),
      message_type: input.messageType,
      content: input.content,
      client_msg_id: input.clientMsgId ?? newClientMsgId(),
      ...(input.mediaId !== undefined && { media_id: input.mediaId }),
      ...(input.replyTo !== undefined && { reply_to: input.replyTo }),
    };
    if (queue.hasClientMsgId(data.client_msg_id)) return Promise.reject(new ChatClientError('bad_request', `client_msg_id ${data.client_msg_id} is already queued`));
    // A frame over the limit would close the socket on every re-send, forever: refuse it here.
    const bytes = new TextEncoder().encode(JSON.stringify({ type: 'message', ref: 'r0000000000', data })).length;
    if (bytes > MAX_FRAME_BYTES) return Promise.reject(new ChatClientError('payload_too_large', `the frame would be ${bytes} bytes (limit ${MAX_FRAME_BYTES})`));
    const { done } = queue.enqueue(data);
    flushSends();
    return done;
  };

  const close = () => {
    if (closedByApp) return;
    closedByApp = true;
    const ws = socket;
    const wasConnected = status === 'connected';
    socket = null;
    status = 'closed';
    clearTimers();
    syncing.clear();
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.onerror = () => {};
      try {
        ws.close(1000, 'client closed');
      } catch {
        /* still connecting in a browser */
      }
    }
    const error = new ChatClientError('closed', 'the client was closed');
    requests.rejectAll(error);
    queue.rejectAll(error);
    if (wasConnected) emitter.emit('disconnected', { code: 1000, reason: 'client closed' });
  };

  if (options.autoConnect ?? true) void connect();

  return {
    on: emitter.on,
    off: emitter.off,
    once: emitter.once,
    send,
    ack: (chatId, seq) => watermark('ack', pendingAcks, chatId, seq),
    read: (chatId, seq) => watermark('read', pendingReads, chatId, seq),
    typing(chatId, state = 'start') {
      // Ephemeral: a typing indicator from before a reconnect is stale, so it is not queued.
      if (status === 'connected') write({ type: 'typing', chat_id: chatId, state });
    },
    subscribePresence(userIds) {
      const fresh = userIds.filter((u) => !watchedUsers.has(u));
      for (const u of fresh) watchedUsers.add(u);
      if (status !== 'connected') return;
      for (let i = 0; i < fresh.length; i += PRESENCE_BATCH) write({ type: 'presence_subscribe', ref: newRef(), user_ids: fresh.slice(i, i + PRESENCE_BATCH) });
    },
    ping,
    setLastSeq(chatId, seq) {
      deliver(tracker.setLastSeq(chatId, seq).deliver);
    },
    knownSeqs: () => tracker.known(),
    connect() {
      if (closedByApp) return;
      // After a final 4401 the app may try again (say, once it has a new token source).
      if (dead) {
        dead = undefined;
        authRetried = false;
        status = 'idle';
      }
      void connect();
    },
    close,
    state: () => ({
      status,
      connected: status === 'connected',
      userId,
      sessionId,
      queued: queue.size,
      lastSeq: tracker.known(),
      held: tracker.heldCount(),
    }),
    __testing: { socket: () => socket, tracker, queue },
  };
};
