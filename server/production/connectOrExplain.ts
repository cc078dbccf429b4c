import { ConfigError } from '../config.ts';

/**
 * Runs a first round trip to a server named by a setting; any failure or a timeout ends
 * start-up with one line naming the setting, not a stack trace.
 */
export const connectOrExplain = async <T>(setting: string, url: string, connect: () => Promise<T>, timeoutMs = 15_000): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      connect(),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs))),
    ]);
  } catch (e) {
    throw new ConfigError(`cannot reach ${setting} (${redact(url)}): ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    clearTimeout(timer);
  }
};

/** Credentials in a URL stay out of logs. */
const redact = (url: string) => url.replace(/\/\/[^@/]*@/, '//***@');
