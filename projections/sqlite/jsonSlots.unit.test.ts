import { describe, expect, it } from 'vitest';
import { createJsonSlots, jsonTextOf, writeJsonSlot } from './jsonSlots.ts';

describe('JSON slots in shared memory', () => {
  it('carry a page written by the worker side to the main side, multi-byte text included', () => {
    const slots = createJsonSlots(4, 64);
    const view = Buffer.from(slots.shared.memory);
    const slot = slots.take()!;
    const json = '{"content":"héllo ✓ 👋"}';
    const length = writeJsonSlot(view, 64, slot, json)!;
    expect(length).toBe(Buffer.byteLength(json));
    expect(jsonTextOf(slots.lease(slot, length))).toBe(json);
    expect(slots.free()).toBe(4);
  });

  it('refuse a page that does not fit, by its UTF-8 length', () => {
    const slots = createJsonSlots(1, 16);
    const view = Buffer.from(slots.shared.memory);
    expect(writeJsonSlot(view, 16, 0, 'x'.repeat(16))).toBe(16);
    expect(writeJsonSlot(view, 16, 0, 'x'.repeat(17))).toBeUndefined();
    // 8 characters, 16 bytes: fits; 9 such characters do not.
    expect(writeJsonSlot(view, 16, 0, 'é'.repeat(8))).toBe(16);
    expect(writeJsonSlot(view, 16, 0, 'é'.repeat(9))).toBeUndefined();
  });

  it('hand out each slot once until it is given back', () => {
    const slots = createJsonSlots(2, 8);
    const a = slots.take()!;
    const b = slots.take()!;
    expect(a).not.toBe(b);
    expect(slots.take()).toBeUndefined();
    slots.give(a);
    expect(slots.take()).toBe(a);
    const lease = slots.lease(b, 0);
    lease.release();
    lease.release();
    expect(slots.free()).toBe(1);
  });
});
