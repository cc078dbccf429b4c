/**
 * The event-store port. Semantics follow EventStoreDB so that its adapter is a thin
 * mapping: per-stream revisions from 0, a global log position, optimistic concurrency
 * by expected revision, and a catch-up-then-live subscription to the whole log.
 */
export type StreamName = string;

/** An event to append. `id` is the idempotency key: unique across the whole store. */
export type EventData = {
  id: string;
  type: string;
  data: unknown;
  metadata?: Record<string, unknown>;
};

export type RecordedEvent = {
  id: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  streamName: StreamName;
  /** 0-based position inside its stream. */
  revision: bigint;
  /** Position in the global log: strictly increasing in log order, not necessarily contiguous. */
  position: bigint;
  recordedAt: Date;
};

/**
 * `no_stream`: the stream must not exist; `stream_exists`: it must; `any`: no check;
 * a bigint: the revision of the stream's last event must be exactly this.
 */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | bigint;

export type AppendResult = {
  /** Revision of the last event written (what the next append expects). */
  nextExpectedRevision: bigint;
  /** Global position of the first and last event written. */
  firstPosition: bigint;
  lastPosition: bigint;
};

export type ReadStreamOptions = {
  direction?: 'forwards' | 'backwards';
  /** Inclusive. Default: `start` forwards, `end` backwards. */
  fromRevision?: bigint | 'start' | 'end';
  maxCount?: number;
};

export type ReadAllOptions = {
  /** Exclusive: events strictly after this position. Default: from the beginning. */
  after?: bigint;
  maxCount?: number;
};

export type SubscribeToAllOptions = {
  /** Exclusive checkpoint: deliver events strictly after it. `start` = the whole log, `end` = only new events. */
  after: bigint | 'start' | 'end';
  /** Called with batches in global order; the next batch waits until it settles. */
  onEvents: (events: RecordedEvent[]) => void | Promise<void>;
  maxBatchSize?: number;
};

export type Subscription = {
  /** Resolves the first time the subscription has delivered everything up to the head. */
  caughtUp: Promise<void>;
  /** Settles when the subscription ends: resolves on close(), rejects if onEvents throws. */
  done: Promise<void>;
  close(): Promise<void>;
};

export type EventStore = {
  /**
   * Appends atomically. Checks, in order: an idempotent repeat (the same ids already
   * stored in this stream where the expected revision puts them) succeeds with the
   * original result and writes nothing; a wrong expected revision throws
   * WrongExpectedVersionError; an id stored anywhere else throws DuplicateEventIdError.
   * Default expected revision: `any`. An empty append is a RangeError.
   */
  appendToStream(
    streamName: StreamName,
    events: readonly EventData[],
    options?: { expectedRevision?: ExpectedRevision },
  ): Promise<AppendResult>;
  readStream(streamName: StreamName, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  readEventById(eventId: string): Promise<RecordedEvent | null>;
  /** Position of the last event in the log, 0n when empty. */
  headPosition(): Promise<bigint>;
  subscribeToAll(options: SubscribeToAllOptions): Subscription;
  close(): Promise<void>;
};
