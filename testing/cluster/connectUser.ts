import { WebSocket } from 'ws';
import { createChatClient, type ChatClient, type ChatClientOptions } from '../../client/createChatClient.ts';
import type { ChatMessage, PresenceData } from '../../client/frames.ts';
import type { ChildServer } from '../childServer.ts';

export type ConnectedUser = { client: ChatClient; received: ChatMessage[]; presence: PresenceData[] };

/**
 * An SDK client of `userId` given the gateways in the order to try, recording what it
 * receives; resolves once connected. Quick backoff and heartbeats, for tests.
 */
export const connectUser = async (userId: string, gateways: readonly ChildServer[], extra: Partial<ChatClientOptions> = {}): Promise<ConnectedUser> => {
  const client = createChatClient({
    url: gateways.map((g) => g.url.replace('http', 'ws') + '/v1/ws'),
    getToken: () => gateways[0]!.token(userId),
    WebSocket,
    backoff: { baseMs: 20, maxMs: 300 },
    heartbeatMs: 1_000,
    ...extra,
  });
  const received: ChatMessage[] = [];
  const presence: PresenceData[] = [];
  client.on('message', (m) => received.push(m));
  client.on('presence', (p) => presence.push(p));
  await new Promise<void>((resolve) => client.once('connected', () => resolve()));
  return { client, received, presence };
};
