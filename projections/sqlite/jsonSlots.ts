/**
 * Fixed-size slots of shared memory in which the reader worker writes a history page's
 * JSON bytes for the main thread to send as they are. A page passed as a string was
 * copied into the main thread's heap and promoted there (about 16 KB a request: at
 * 2,000 requests/s, a 20–25 ms mark-compact every 3 s, the history p99); passed as a
 * copied Buffer, its external memory set off a mark-compact every 0.3 s. A view of
 * shared memory is neither.
 *
 * The main thread takes a slot per request and gives it back once the answer is
 * written out or the connection is gone. No free slot, or a page too big for one:
 * the page comes as a string, as before.
 */
export type JsonSlotsShared = { memory: SharedArrayBuffer; slotBytes: number };

/** A page's JSON in a slot: `bytes` is valid until `release()` (idempotent). */
export type LeasedJson = { bytes: Buffer; release: () => void };

export const SLOT_COUNT = 128;
/** A 50-message page of 100-byte texts is about 16 KB; a 200-message page of long texts goes as a string. */
export const SLOT_BYTES = 64 * 1024;

/** The main thread's side: the free list and the leases. */
export const createJsonSlots = (count = SLOT_COUNT, slotBytes = SLOT_BYTES) => {
  const memory = new SharedArrayBuffer(count * slotBytes);
  const free = Array.from({ length: count }, (_, i) => count - 1 - i);
  return {
    shared: { memory, slotBytes } satisfies JsonSlotsShared,
    /** A free slot's index, or undefined when every slot is leased. */
    take: (): number | undefined => free.pop(),
    /** Gives back a slot the worker did not write (failed, null page, page as a string). */
    give: (slot: number) => void free.push(slot),
    lease(slot: number, length: number): LeasedJson {
      let held = true;
      return {
        bytes: Buffer.from(memory, slot * slotBytes, length),
        release: () => {
          if (held) free.push(slot);
          held = false;
        },
      };
    },
    free: () => free.length,
  };
};

/** The worker's side: writes `json` into `slot`; its byte length, or undefined if it does not fit. */
export const writeJsonSlot = (view: Buffer, slotBytes: number, slot: number, json: string): number | undefined => {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: most pages need no exact count.
  if (json.length * 3 > slotBytes && Buffer.byteLength(json) > slotBytes) return undefined;
  return view.write(json, slot * slotBytes, slotBytes);
};

/** The text of a page's JSON, its slot given back: for callers that want a string. */
export const jsonTextOf = (json: string | LeasedJson): string => {
  if (typeof json === 'string') return json;
  const text = json.bytes.toString();
  json.release();
  return text;
};
