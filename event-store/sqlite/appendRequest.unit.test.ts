import { describe, expect, it } from 'vitest';
import { toAppendRequest } from './appendRequest.ts';

describe('toAppendRequest', () => {
  it('serializes data and metadata once, up front', () => {
    const request = toAppendRequest(
      's',
      [
        { id: 'a', type: 'T', data: { n: 1 } },
        { id: 'b', type: 'T', data: undefined, metadata: { m: true } },
      ],
      2n,
    );
    expect(request).toEqual({
      streamName: 's',
      expectedRevision: 2n,
      events: [
        { id: 'a', type: 'T', data: '{"n":1}', metadata: '{}' },
        { id: 'b', type: 'T', data: 'null', metadata: '{"m":true}' },
      ],
    });
  });

  it.each([
    ['no events', () => toAppendRequest('s', [], 'any'), RangeError],
    ['empty stream name', () => toAppendRequest('', [{ id: 'a', type: 'T', data: 1 }], 'any'), TypeError],
    ['empty id', () => toAppendRequest('s', [{ id: '', type: 'T', data: 1 }], 'any'), TypeError],
    ['empty type', () => toAppendRequest('s', [{ id: 'a', type: '', data: 1 }], 'any'), TypeError],
    ['negative revision', () => toAppendRequest('s', [{ id: 'a', type: 'T', data: 1 }], -1n), TypeError],
    ['bigint in data', () => toAppendRequest('s', [{ id: 'a', type: 'T', data: { n: 1n } }], 'any'), TypeError],
  ])('rejects %s', (_, build, errorType) => {
    expect(build).toThrow(errorType);
  });
});
