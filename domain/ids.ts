import { z } from 'zod';
import { hash } from 'node:crypto';

/** User ids, chat ids, client message ids: 1 to 64 characters of [A-Za-z0-9_.:-] (protocol section 1). */
export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
export const idSchema = z.string().regex(ID_PATTERN, 'must be 1 to 64 characters of [A-Za-z0-9_.:-]');
export const isValidId = (s: unknown): s is string => typeof s === 'string' && ID_PATTERN.test(s);

export const MESSAGE_NAMESPACE = '6f1c1b8e-7a0d-4d55-9a57-1f3b0f2f6a10';
export const EVENT_NAMESPACE = 'b3a8b1f4-52c9-4f43-8a43-3c2e9d1d7c21';

/** RFC 4122 version 5 (SHA-1) with the namespace parsed once: it runs on every send. */
const uuidv5 = (namespace: string) => {
  const ns = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  return (name: string): string => {
    const input = Buffer.allocUnsafe(16 + Buffer.byteLength(name));
    ns.copy(input);
    input.write(name, 16);
    // One-shot hash: no Hash object per call.
    const h = hash('sha1', input, 'buffer') as unknown as Buffer;
    h[6] = (h[6]! & 0x0f) | 0x50;
    h[8] = (h[8]! & 0x3f) | 0x80;
    const x = h.toString('hex', 0, 16);
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  };
};
const messageUuid = uuidv5(MESSAGE_NAMESPACE);
const eventUuid = uuidv5(EVENT_NAMESPACE);

/**
 * The gateway and the send command each derive a send's id, moments apart: the second is a
 * lookup. Few entries: they must outlive that gap only, and at thousands of sends a second a
 * longer list would keep its strings past a young-generation GC, into the old space.
 */
const recentMessageIds = new Map<string, string>();
const RECENT_MESSAGE_IDS = 256;

/**
 * `(sender, client_msg_id)` identifies a send forever: the message id, which is also the
 * id of its MessageSent event, is derived from it so the store's unique key dedups it.
 */
export const messageIdFor = (senderId: string, clientMsgId: string): string => {
  const name = `${senderId}\n${clientMsgId}`;
  let id = recentMessageIds.get(name);
  if (id === undefined) {
    id = messageUuid(name);
    if (recentMessageIds.size >= RECENT_MESSAGE_IDS) recentMessageIds.delete(recentMessageIds.keys().next().value!);
    recentMessageIds.set(name, id);
  }
  return id;
};

/** Other events get an id fixed by where they land, so a blind retry of an append is idempotent. */
export const eventIdAt = (streamName: string, revision: bigint): string => eventUuid(`${streamName}@${revision}`);

/** Direct chat ids of recent pairs: every send to a user hashes the pair, most pairs send again soon. */
const directChatIds = new Map<string, string>();
const DIRECT_CHAT_ID_CACHE = 10_000;

/** One direct chat per unordered pair of users. Hashed: ids may contain the separator. */
export const directChatIdFor = (a: string, b: string): string => {
  const pair = a < b ? `${a}\n${b}` : `${b}\n${a}`;
  let id = directChatIds.get(pair);
  if (id === undefined) {
    id = `dm-${hash('sha256', pair).slice(0, 40)}`;
    if (directChatIds.size >= DIRECT_CHAT_ID_CACHE) directChatIds.delete(directChatIds.keys().next().value!);
    directChatIds.set(pair, id);
  }
  return id;
};
