import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isChatError } from '../domain/errors.ts';
import { chatStreamName } from '../domain/streams.ts';
import type { MessageSent } from '../domain/events.ts';
import type { SqliteEventStore } from '../event-store/sqlite/sqliteEventStore.ts';
import { tempEventStore } from '../testing/tempEventStore.ts';
import { propertyRuns } from '../testing/propertyRuns.ts';
import { createCommands, type Commands } from './index.ts';

/** The simple model: what each (sender, client_msg_id) was, and each chat's last seq. */
type Model = {
  sends: Map<string, { chat: string; content: string; seq: number; messageId: string }>;
  lastSeq: Map<string, number>;
};
type Real = { temp: ReturnType<typeof tempEventStore>; store: SqliteEventStore; commands: Commands; chats: string[] };

type Send = { sender: string; chat: number; id: string; content: string };
const send = fc.record({
  sender: fc.constantFrom('ann', 'bob', 'cat'),
  chat: fc.nat(1),
  id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
  content: fc.constantFrom('hi', 'yo'),
});

const sendAll = async (real: Real, sends: Send[]) =>
  Promise.all(
    sends.map((s) =>
      real.commands
        .sendMessage({ senderId: s.sender, chatId: real.chats[s.chat]!, clientMsgId: s.id, messageType: 'text', content: s.content })
        .catch((e: unknown) => {
          if (isChatError(e)) return e.code;
          throw e;
        }),
    ),
  );

/** Concurrent sends, new or repeated; the model says which must be stored, repeated or refused. */
class ConcurrentSends implements fc.AsyncCommand<Model, Real> {
  constructor(readonly sends: Send[]) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const results = await sendAll(real, this.sends);
    const fresh = new Map<string, { chat: string; content: string; messageId: string }>(); // first use now: the winner
    this.sends.forEach((s, i) => {
      const result = results[i]!;
      const key = `${s.sender}/${s.id}`;
      const known = model.sends.get(key);
      const chat = real.chats[s.chat]!;
      if (known) {
        if (known.chat === chat && known.content === s.content)
          expect(result).toMatchObject({ messageId: known.messageId, seq: known.seq, duplicate: true });
        else expect(result).toBe('duplicate_conflict');
      } else if (typeof result !== 'string') {
        // Concurrent first uses of one id: exactly one variant is stored, its exact twins repeat it.
        const winner = fresh.get(key) ?? { chat, content: s.content, messageId: result.messageId };
        expect({ chat, content: s.content, messageId: result.messageId }).toEqual(winner);
        fresh.set(key, winner);
      }
    });
    this.sends.forEach((s, i) => {
      const winner = fresh.get(`${s.sender}/${s.id}`);
      const twin = winner && winner.chat === real.chats[s.chat] && winner.content === s.content;
      if (model.sends.has(`${s.sender}/${s.id}`)) return;
      if (twin) expect(typeof results[i]).toBe('object');
      else expect(results[i]).toBe('duplicate_conflict');
    });
    // Fold the newly stored ones into the model: seq continues each chat with no gap.
    for (const chat of real.chats) {
      const stored = (await real.store.readStream(chatStreamName(chat)))
        .filter((e) => e.type === 'MessageSent')
        .map((e) => e.data as MessageSent['data']);
      const before = model.lastSeq.get(chat) ?? 0;
      const added = stored.filter((m) => m.seq > before);
      expect(added.map((m) => m.seq)).toEqual(added.map((_, i) => before + 1 + i));
      expect(added.length).toBe([...fresh.values()].filter((w) => w.chat === chat).length);
      for (const m of added) {
        const key = `${m.senderId}/${m.clientMsgId}`;
        expect(model.sends.has(key)).toBe(false);
        model.sends.set(key, { chat, content: m.content, seq: m.seq, messageId: m.messageId });
      }
      model.lastSeq.set(chat, before + added.length);
    }
  }
  toString = () => `ConcurrentSends(${this.sends.map((s) => `${s.sender}/${s.id}@${s.chat}:${s.content}`).join(' ')})`;
}

/** Close and reopen the store with fresh command handlers: a restart with cold caches. */
class Reopen implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(_model: Model, real: Real) {
    await real.store.close();
    real.store = real.temp.open();
    real.commands = createCommands(real.store);
  }
  toString = () => 'Reopen';
}

describe('command handlers against a model', () => {
  it('agree with the model under concurrent sends, duplicates and reopens', async () => {
    const allCommands = [
      fc.array(send, { minLength: 1, maxLength: 6 }).map((sends) => new ConcurrentSends(sends)),
      fc.constant(new Reopen()),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(allCommands, { maxCommands: 12 }), async (cmds) => {
        const temp = tempEventStore();
        const store = temp.open();
        const commands = createCommands(store);
        const chats = await Promise.all(
          ['one', 'two'].map(async (name) => (await commands.createGroup({ creatorId: 'ann', name, memberIds: ['bob', 'cat'] })).chatId),
        );
        const real: Real = { temp, store, commands, chats };
        try {
          await fc.asyncModelRun(() => ({ model: { sends: new Map(), lastSeq: new Map() }, real }), cmds);
        } finally {
          await real.store.close();
          temp.cleanup();
        }
      }),
      { numRuns: propertyRuns },
    );
  });
});
