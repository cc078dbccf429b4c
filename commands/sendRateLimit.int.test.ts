import { afterAll, describe, expect, it } from 'vitest';
import { isChatError } from '../domain/errors.ts';
import { tempEventStore } from '../testing/tempEventStore.ts';
import { createCommands } from './index.ts';
import type { SendAck } from './sendMessage.ts';

describe('the send rate limit and repeats', () => {
  const temp = tempEventStore();
  const store = temp.open();
  const commands = createCommands(store, { sendRate: { perSecond: 0.001, burst: 3 } });
  afterAll(async () => {
    await store.close();
    temp.cleanup();
  });

  const send = (clientMsgId: string): Promise<SendAck | string> =>
    commands.sendMessage({ senderId: 'ann', receiverId: 'bob', clientMsgId, messageType: 'text', content: 'hi' }).then(
      (ack) => ack,
      (e: unknown) => (isChatError(e) ? e.code : Promise.reject(e)),
    );

  it('repeats are answered with the original ack and never spend a token, with or without tokens left', async () => {
    const first = (await send('a0')) as SendAck;
    // Two repeats while tokens are left: both appended optimistically, both refunded.
    expect(await send('a0')).toEqual({ ...first, duplicate: true });
    expect(await send('a0')).toEqual({ ...first, duplicate: true });
    expect(typeof (await send('a1'))).toBe('object');
    expect(typeof (await send('a2'))).toBe('object');
    // The burst of 3 is spent by 3 new sends; a new one is refused, a repeat still answered.
    expect(await send('a3')).toBe('rate_limited');
    expect(await send('a0')).toEqual({ ...first, duplicate: true });
  });
});
