import { describe, expect, it } from 'vitest';
import { WrongExpectedVersionError } from '../errors.ts';
import type { ExpectedRevision } from '../eventStore.ts';
import { assertExpectedRevision } from './assertExpectedRevision.ts';

describe('assertExpectedRevision', () => {
  const cases: [ExpectedRevision, bigint | undefined, boolean][] = [
    ['any', undefined, true],
    ['any', 4n, true],
    ['no_stream', undefined, true],
    ['no_stream', 0n, false],
    ['stream_exists', undefined, false],
    ['stream_exists', 0n, true],
    [3n, 3n, true],
    [3n, 2n, false],
    [3n, 4n, false],
    [0n, undefined, false],
  ];

  it.each(cases)('expected %s with head %s: passes = %s', (expected, head, passes) => {
    const check = () => assertExpectedRevision('s', expected, head);
    if (passes) expect(check).not.toThrow();
    else expect(check).toThrow(WrongExpectedVersionError);
  });

  it('reports the actual revision, or no_stream', () => {
    expect(() => assertExpectedRevision('s', 1n, undefined)).toThrow(
      expect.objectContaining({ streamName: 's', expected: 1n, actual: 'no_stream' }),
    );
    expect(() => assertExpectedRevision('s', 'no_stream', 7n)).toThrow(
      expect.objectContaining({ expected: 'no_stream', actual: 7n }),
    );
  });
});
