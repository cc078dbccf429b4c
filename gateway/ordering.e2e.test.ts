import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/testServer.ts';
import { connectWs, type WsTestClient } from '../testing/wsTestClient.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

const SENDERS = ['s1', 's2', 's3'];
const LISTENERS = ['l1', 'l2'];
const PER_SENDER = 300;

describe('order and completeness', () => {
  it('3 senders × 300 pipelined messages into one group: every member session gets seq 1..900 in order', async () => {
    const { body: g } = await server.call('s1', 'POST', '/v1/groups', { name: 'Busy', member_ids: [...SENDERS, ...LISTENERS] });
    const sessions: Record<string, WsTestClient> = {};
    for (const u of [...SENDERS, ...LISTENERS]) sessions[u] = await connectWs(server, u);
    const second = await connectWs(server, 's1', { deviceId: 'second' }); // the sender's other device
    const total = SENDERS.length * PER_SENDER;

    // Pipelined: every frame is written without waiting for any ack.
    for (let i = 0; i < PER_SENDER; i++)
      for (const u of SENDERS)
        sessions[u]!.send({ type: 'message', ref: `${u}-${i}`, data: { chat_id: g.group_id, message_type: 'text', content: `${u} #${i}`, client_msg_id: `${u}-${i}` } });

    for (const u of SENDERS) {
      await sessions[u]!.next((f) => f.type === 'ack' && f.ref === `${u}-${PER_SENDER - 1}`, 30_000);
      // A session's acks carry increasing seq, in the order it sent.
      const acks = sessions[u]!.all('ack');
      expect(acks.map((a) => a.ref)).toEqual(Array.from({ length: PER_SENDER }, (_, i) => `${u}-${i}`));
      const seqs = acks.map((a) => a.data.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    const expectAll = async (c: WsTestClient, own: string | null) => {
      const expected = own ? total - PER_SENDER : total;
      const deadline = Date.now() + 30_000;
      while (c.all('message').length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const seqs = c.all('message').map((f) => f.data.seq as number);
      // Strictly increasing, and exactly the seqs not sent by this session.
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
      expect(seqs).toHaveLength(expected);
      expect(c.all('message').every((f) => f.data.sender_id !== own)).toBe(true);
    };
    for (const u of LISTENERS) {
      await expectAll(sessions[u]!, null);
      expect(sessions[u]!.all('message').map((f) => f.data.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    }
    for (const u of SENDERS) await expectAll(sessions[u]!, u);
    await expectAll(second, null); // s1's other device gets everything, s1's own included
    for (const c of [...Object.values(sessions), second]) c.close();
  });
});
