import type { SessionRegistry } from '../sessions/sessionRegistry.ts';
import type { Delivery } from './delivery.ts';

/**
 * The last hop: frames to this node's sessions of each user. A message's frame skips the
 * session it came from (found in `origins`, which the send handler filled), once.
 */
export const deliverLocally =
  (sessions: SessionRegistry, origins: Map<string, string>) =>
  (deliveries: readonly Delivery[]): void => {
    for (const { users, json, messageId } of deliveries) {
      let origin: string | undefined;
      if (messageId !== undefined) {
        origin = origins.get(messageId);
        if (origin !== undefined) origins.delete(messageId);
      }
      for (const user of users) for (const s of sessions.of(user)) if (s.id !== origin) s.sendSerialized(json);
    }
  };
