/** Limits of protocol v1. */
export const MAX_GROUP_MEMBERS = 500;
export const MAX_CONTENT_BYTES = 16 * 1024;
export const MAX_GROUP_NAME_LENGTH = 128;
export const MAX_EMOJI_LENGTH = 32;
