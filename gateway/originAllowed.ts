/**
 * Browser origins (protocol section 0): an exact match in the allow list, or, with an
 * empty list, the same origin as the server. Non-browser clients send no Origin.
 */
export const originAllowed = (origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean => {
  if (origin === undefined) return true;
  if (allowed.length > 0) return allowed.includes(origin);
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
};
