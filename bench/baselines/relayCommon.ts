/**
 * What the baseline relays share: who a token names, and the protocol's message and ack
 * objects with a fake, per-chat increasing seq. No persistence, no validation beyond
 * what the benchmark sends: the relays measure what a bare fan-out costs.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** `?token=`: a JWT (dev token) names its `sub`, unverified; anything else is the user id itself. */
export const userOfToken = (token: string): string | undefined => {
  if (!token) return undefined;
  const parts = token.split('.');
  if (parts.length === 3) {
    try {
      const sub = (JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { sub?: unknown }).sub;
      return typeof sub === 'string' ? sub : undefined;
    } catch {
      return undefined;
    }
  }
  return token;
};

export const directChatId = (a: string, b: string): string =>
  `dm-${createHash('sha256').update([a, b].sort().join('\n')).digest('hex').slice(0, 40)}`;

export type SendData = { chat_id?: string; receiver_id?: string; message_type?: string; content?: string; client_msg_id?: string };

export const createRelayState = () => {
  const seqs = new Map<string, number>();
  const groups = new Map<string, { name: string; members: string[] }>();
  return {
    groups,
    /** Resolves a send to its chat and the users to deliver to, or an error code. */
    route(sender: string, data: SendData): { chatId: string; recipients: readonly string[] } | { error: string } {
      if (typeof data.receiver_id === 'string') {
        if (data.receiver_id === sender) return { error: 'bad_request' };
        return { chatId: directChatId(sender, data.receiver_id), recipients: [data.receiver_id, sender] };
      }
      const group = typeof data.chat_id === 'string' ? groups.get(data.chat_id) : undefined;
      if (!group) return { error: 'not_found' };
      return { chatId: data.chat_id!, recipients: group.members };
    },
    message(sender: string, chatId: string, data: SendData) {
      const seq = (seqs.get(chatId) ?? 0) + 1;
      seqs.set(chatId, seq);
      return {
        message_id: randomUUID(),
        chat_id: chatId,
        seq,
        sender_id: sender,
        message_type: data.message_type ?? 'text',
        content: data.content ?? '',
        client_msg_id: data.client_msg_id ?? '',
        timestamp: new Date().toISOString(),
      };
    },
    createGroup(creator: string, name: string, memberIds: readonly string[]) {
      const id = `g-${randomUUID()}`;
      const members = [...new Set([creator, ...memberIds])];
      groups.set(id, { name, members });
      return { group_id: id, chat_id: id, name, members: members.map((u, i) => ({ user_id: u, role: i === 0 ? 'admin' : 'member' })) };
    },
  };
};

/** Reads a JSON request body (small: group creation only). */
export const readJson = (request: import('node:http').IncomingMessage): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
      } catch (e) {
        reject(e);
      }
    });
    request.on('error', reject);
  });

export const bearer = (header: string | undefined): string => (header?.startsWith('Bearer ') ? header.slice(7) : '');

/** The relays' HTTP side, the same for both: health, and `POST /v1/groups` for the group scenario. */
export const handleRelayHttp = (state: ReturnType<typeof createRelayState>, request: IncomingMessage, response: ServerResponse): void => {
  const url = new URL(request.url ?? '/', 'http://relay');
  if (request.method === 'GET' && (url.pathname === '/readyz' || url.pathname === '/healthz')) {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  if (request.method === 'POST' && url.pathname === '/v1/groups') {
    const user = userOfToken(bearer(request.headers.authorization));
    if (!user) return void response.writeHead(401).end();
    readJson(request).then(
      (body) => {
        const b = body as { name?: string; member_ids?: string[] };
        response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(state.createGroup(user, b.name ?? '', b.member_ids ?? [])));
      },
      () => response.writeHead(400).end(),
    );
    return;
  }
  response.writeHead(404).end();
};
