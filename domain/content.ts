import { MAX_CONTENT_BYTES } from './limits.ts';
import { badRequest, payloadTooLarge } from './errors.ts';
import type { MessageType } from './events.ts';

/** UTF-8 length without allocating: surrogate pairs are 4 bytes, lone surrogates 3 (as U+FFFD). */
export const utf8Length = (s: string): number => {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
};

const needsMedia = (t: MessageType) => t === 'image' || t === 'video' || t === 'file';

/** Content rules of protocol section 3: at most 16 KiB, media types carry a media_id, text is not empty. */
export const assertValidContent = (messageType: MessageType, content: string, mediaId: string | undefined) => {
  if (utf8Length(content) > MAX_CONTENT_BYTES) throw payloadTooLarge(`content exceeds ${MAX_CONTENT_BYTES} bytes`);
  if (needsMedia(messageType) && !mediaId) throw badRequest(`a ${messageType} message needs a media_id`);
  if (messageType === 'text' && mediaId) throw badRequest('a text message carries no media_id');
  if (messageType === 'text' && content.length === 0) throw badRequest('a text message needs content');
};
