import { streamNameFilter, type Filter } from '@eventstore/db-client';

/**
 * Which events of $all the port shows. EventStoreDB's log also holds its own events: stream
 * names and event types starting with `$` (projection links such as `$bc-…`/`$ce-…`, stream
 * metadata in `$$…`, statistics, scavenges). The port never sees them: not in readAll, not in
 * headPosition, not in subscriptions. With `streamPrefixes`, only streams starting with one
 * of them are seen at all.
 */
export type StreamFilter = {
  /** The prefixes given to the store, or undefined for every non-system stream. */
  prefixes: readonly string[] | undefined;
};

/** Stream names that start with anything but `$` (.NET and JS regex alike). */
export const NON_SYSTEM_STREAM_REGEX = '^[^$]';

const isSystemName = (name: string): boolean => name.startsWith('$');

export const assertStreamPrefixes = (prefixes: readonly string[] | undefined): void => {
  if (prefixes === undefined) return;
  if (!Array.isArray(prefixes) || prefixes.length === 0) {
    throw new TypeError('streamPrefixes must be a non-empty array when given');
  }
  for (const prefix of prefixes) {
    if (typeof prefix !== 'string' || prefix.length === 0 || isSystemName(prefix)) {
      throw new TypeError(`stream prefix must be a non-empty string not starting with '$', got ${JSON.stringify(prefix)}`);
    }
  }
};

/** True when the port shows an event of this stream and type on $all reads and subscriptions. */
export const isVisible = ({ prefixes }: StreamFilter, streamName: string, type: string): boolean =>
  !isSystemName(streamName) &&
  !isSystemName(type) &&
  (prefixes === undefined || prefixes.some((prefix) => streamName.startsWith(prefix)));

/**
 * The server-side filter for subscribeToAll: the prefixes when given (never `$`, checked at
 * creation), else the regex excluding system streams. It only saves bandwidth: every
 * delivered event is checked again with `isVisible` (system event types in user streams,
 * e.g. a `$>` link someone wrote there, pass a stream-name filter).
 */
export const subscriptionFilterFor = ({ prefixes }: StreamFilter): Filter =>
  prefixes === undefined
    ? streamNameFilter({ regex: NON_SYSTEM_STREAM_REGEX })
    : streamNameFilter({ prefixes: [...prefixes] });
