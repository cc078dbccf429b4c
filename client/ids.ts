/**
 * A fresh `client_msg_id`: a UUID (36 characters of [0-9a-f-], inside the protocol's
 * 1..64 of [A-Za-z0-9_.:-]). `crypto.randomUUID` exists in browsers (secure
 * contexts) and Node ≥ 19 as a global; the fallback is for old or insecure contexts,
 * where uniqueness per sender is all that dedup needs.
 */
export const newClientMsgId = (): string => {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(Math.random() * 4)]}${hex(3)}-${hex(12)}`;
};
