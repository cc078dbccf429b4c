/**
 * A frame on its way to users' sessions, wherever they are connected: serialized once,
 * addressed to users (not sessions). A message's frame skips the session it was sent
 * from (that one gets an ack, not an echo): the node holding that session knows it by
 * `messageId`.
 */
export type Delivery = { users: readonly string[]; json: string; messageId?: string };

/** Hands frames to the sessions of users: in process (embedded) or to each user's nodes (production). */
export type Deliver = (deliveries: readonly Delivery[]) => void | Promise<void>;
