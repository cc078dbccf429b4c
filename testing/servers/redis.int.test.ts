import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { describeWithServer } from './serverOrSkip.ts';
import { startRedis } from './startRedis.ts';

describeWithServer('redis', startRedis, (getServer) => {
  const clients: Redis[] = [];
  const client = () => {
    const c = new Redis(getServer().url, { maxRetriesPerRequest: 1, lazyConnect: false });
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.quit().catch(() => c.disconnect())));
  });

  it('answers SET/GET and INCR through ioredis', async () => {
    const redis = client();
    expect(await redis.ping()).toBe('PONG');
    expect(await redis.set('chat:smoke', 'héllo ✓', 'EX', 60)).toBe('OK');
    expect(await redis.get('chat:smoke')).toBe('héllo ✓');
    expect(await redis.incr('chat:counter')).toBe(1);
    expect(await redis.incrby('chat:counter', 41)).toBe(42);
    const ttl = await redis.ttl('chat:smoke');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('delivers a published message to a subscriber', async () => {
    const subscriber = client();
    const publisher = client();
    const received = new Promise<[string, string]>((resolve) => {
      subscriber.on('message', (channel: string, message: string) => resolve([channel, message]));
    });
    expect(await subscriber.subscribe('chat:events')).toBe(1);
    // One subscriber on the channel, so PUBLISH reports one receiver.
    expect(await publisher.publish('chat:events', JSON.stringify({ chatId: 'c1', seq: 7 }))).toBe(1);
    const [channel, message] = await received;
    expect(channel).toBe('chat:events');
    expect(JSON.parse(message)).toEqual({ chatId: 'c1', seq: 7 });
  });

  it('comes back on the same URL after kill and restart, empty, and a connected client reconnects', async () => {
    const redis = client();
    await redis.set('chat:before', '1');
    await getServer().kill();
    await getServer().restart();
    // The same client: ioredis reconnects to the same URL by itself. In-memory data is gone.
    expect(await redis.get('chat:before')).toBeNull();
    expect(await redis.set('chat:after', 'back')).toBe('OK');
    expect(await redis.get('chat:after')).toBe('back');
  });

  it('fails restart() with a clear error, without moving, when its port was taken while it was down', async () => {
    const { host, port } = getServer();
    await getServer().kill();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, host, resolve));
    try {
      await expect(getServer().restart()).rejects.toThrow(`${host}:${port} was taken by another process`);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    await getServer().restart();
    expect(await client().ping()).toBe('PONG');
  });
});
