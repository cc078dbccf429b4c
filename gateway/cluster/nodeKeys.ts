/** KV keys and channels the nodes share (production profile). */
export const userNodesKey = (userId: string) => `user-nodes:${userId}`;
export const lastSeenKey = (userId: string) => `last-seen:${userId}`;
export const nodeChannel = (nodeId: string) => `node:${nodeId}`;
export const PRESENCE_CHANNEL = 'presence';
/** Gateway incarnations (`<node id>:<uuid>`) beating now, and those seen within a day: the difference crashed. */
export const NODES_ALIVE = 'gateway-nodes:alive';
export const NODES_SEEN = 'gateway-nodes:seen';
/** The users a gateway incarnation holds, for announcing them offline if it crashes. */
export const nodeUsersKey = (incarnation: string) => `node-users:${incarnation}`;
/** Counted up by the nodes that found the incarnation dead: the first one announces its users. */
export const lapseClaimKey = (incarnation: string) => `lapse-claim:${incarnation}`;
