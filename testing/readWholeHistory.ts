import { expect } from 'vitest';

export type HistoryMessage = { seq: number; message_id: string; sender_id: string; client_msg_id: string; content: string; deleted?: boolean; reactions?: unknown };

type Caller = { call(userId: string | null, method: string, path: string): Promise<{ status: number; body: any }> };

/** Every message of a chat as `viewer` reads it: `GET /v1/messages` page after page of 200, each answered 200. */
export const readWholeHistory = async (server: Caller, viewer: string, chatId: string): Promise<HistoryMessage[]> => {
  const messages: HistoryMessage[] = [];
  for (let after = 0; ; ) {
    const page = await server.call(viewer, 'GET', `/v1/messages?chat_id=${chatId}&after=${after}&limit=200`);
    expect(page.status).toBe(200);
    messages.push(...page.body.messages);
    if (!page.body.has_more) return messages;
    after = messages.at(-1)!.seq;
  }
};
