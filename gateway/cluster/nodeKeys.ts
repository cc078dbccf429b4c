/** KV keys and channels the nodes share (production profile). */
export const userNodesKey = (userId: string) => `user-nodes:${userId}`;
export const lastSeenKey = (userId: string) => `last-seen:${userId}`;
export const nodeChannel = (nodeId: string) => `node:${nodeId}`;
export const PRESENCE_CHANNEL = 'presence';
