import fc from 'fast-check';
import { v5 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { directChatIdFor, eventIdAt, EVENT_NAMESPACE, isValidId, MESSAGE_NAMESPACE, messageIdFor } from './ids.ts';
import { propertyRuns } from '../testing/propertyRuns.ts';

describe('ids', () => {
  it('derives message and event ids as RFC 4122 version 5 UUIDs (checked against the uuid package)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 64 }), fc.string({ maxLength: 64 }), fc.bigInt({ min: 0n, max: 1n << 62n }), (sender, clientMsgId, revision) => {
        expect(messageIdFor(sender, clientMsgId)).toBe(v5(`${sender}\n${clientMsgId}`, MESSAGE_NAMESPACE));
        expect(eventIdAt(sender, revision)).toBe(v5(`${sender}@${revision}`, EVENT_NAMESPACE));
      }),
      { numRuns: propertyRuns },
    );
  });

  it('gives one direct chat per unordered pair, as a valid chat id', () => {
    expect(directChatIdFor('ann', 'bob')).toBe(directChatIdFor('bob', 'ann'));
    expect(directChatIdFor('ann', 'bob')).not.toBe(directChatIdFor('ann', 'bo'));
    // Ids may contain any separator: 'a:b' + 'c' and 'a' + 'b:c' are different pairs.
    expect(directChatIdFor('a:b', 'c')).not.toBe(directChatIdFor('a', 'b:c'));
    expect(isValidId(directChatIdFor('x'.repeat(64), 'y'.repeat(64)))).toBe(true);
  });
});
