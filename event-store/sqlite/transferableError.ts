import { DuplicateEventIdError, WrongExpectedVersionError } from '../errors.ts';

/** An error as it crosses a thread: structured clone keeps neither the class nor its fields. */
export type TransferableError =
  | { kind: 'wrongExpectedVersion'; streamName: string; expected: WrongExpectedVersionError['expected']; actual: WrongExpectedVersionError['actual'] }
  | { kind: 'duplicateEventId'; eventId: string; existingStream: string }
  | { kind: 'other'; name: string; message: string; code?: string };

export const toTransferable = (e: unknown): TransferableError => {
  if (e instanceof WrongExpectedVersionError) return { kind: 'wrongExpectedVersion', streamName: e.streamName, expected: e.expected, actual: e.actual };
  if (e instanceof DuplicateEventIdError) return { kind: 'duplicateEventId', eventId: e.eventId, existingStream: e.existingStream };
  const error = e instanceof Error ? e : new Error(String(e));
  const code = (error as { code?: unknown }).code;
  return { kind: 'other', name: error.name, message: error.message, ...(typeof code === 'string' && { code }) };
};

export const fromTransferable = (t: TransferableError): Error => {
  switch (t.kind) {
    case 'wrongExpectedVersion':
      return new WrongExpectedVersionError(t.streamName, t.expected, t.actual);
    case 'duplicateEventId':
      return new DuplicateEventIdError(t.eventId, t.existingStream);
    case 'other': {
      const error = t.name === 'RangeError' ? new RangeError(t.message) : t.name === 'TypeError' ? new TypeError(t.message) : new Error(t.message);
      if (!['Error', 'RangeError', 'TypeError'].includes(t.name)) error.name = t.name;
      if (t.code !== undefined) Object.assign(error, { code: t.code });
      return error;
    }
  }
};
