import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export type StreamRange = { first_revision: number; last_revision: number; count: number };

export type Manifest = {
  type: 'manifest';
  filter: Record<string, string>;
  count: number;
  first_position: number | null;
  last_position: number | null;
  /** Per stream: the revisions exported. A whole-chat export has them contiguous from 0. */
  streams: Record<string, StreamRange>;
  /** SHA-256 of every line before the manifest, each with its newline. */
  sha256: string;
  generated_at: string;
  /** Ed25519 over the manifest without this field, canonical JSON; checkable with public_key alone. */
  public_key: string;
  signature: string;
};

/** Running digest and stream ranges of the lines written so far. */
export const createManifestBuilder = (filter: Record<string, string>) => {
  const hash = createHash('sha256');
  const streams: Record<string, StreamRange> = {};
  let count = 0;
  let first: number | null = null;
  let last: number | null = null;
  return {
    add(line: string, event: { streamName: string; revision: bigint; position: bigint }) {
      hash.update(`${line}\n`);
      count++;
      first ??= Number(event.position);
      last = Number(event.position);
      const revision = Number(event.revision);
      const range = (streams[event.streamName] ??= { first_revision: revision, last_revision: revision, count: 0 });
      range.last_revision = revision;
      range.count++;
    },
    finish(privateKey: KeyObject, publicKeyPem: string, now = new Date()): Manifest {
      const unsigned = {
        type: 'manifest' as const,
        filter,
        count,
        first_position: first,
        last_position: last,
        streams,
        sha256: hash.digest('hex'),
        generated_at: now.toISOString(),
        public_key: publicKeyPem,
      };
      const signature = sign(null, Buffer.from(JSON.stringify(unsigned)), privateKey).toString('base64');
      return { ...unsigned, signature };
    },
  };
};

/**
 * Checks an export: the manifest is the last line, its signature holds for its own
 * public key, and the lines before it hash to its sha256 and number its count.
 * Pin the public key you expect (`expectedPublicKey`) to rule out a re-signed forgery.
 */
export const verifyExport = (ndjson: string, expectedPublicKey?: string): { ok: true; manifest: Manifest } | { ok: false; reason: string } => {
  const lines = ndjson.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const manifestLine = lines.pop();
  if (!manifestLine) return { ok: false, reason: 'empty export' };
  let manifest: Manifest;
  try {
    manifest = JSON.parse(manifestLine) as Manifest;
  } catch {
    return { ok: false, reason: 'the last line is not a manifest' };
  }
  if (manifest.type !== 'manifest') return { ok: false, reason: 'the last line is not a manifest' };
  const { signature, ...unsigned } = manifest;
  if (expectedPublicKey && createPublicKey(expectedPublicKey).export({ type: 'spki', format: 'pem' }) !== createPublicKey(unsigned.public_key).export({ type: 'spki', format: 'pem' }))
    return { ok: false, reason: 'signed by another key' };
  if (!verify(null, Buffer.from(JSON.stringify(unsigned)), createPublicKey(unsigned.public_key), Buffer.from(signature, 'base64')))
    return { ok: false, reason: 'bad signature' };
  if (lines.length !== manifest.count) return { ok: false, reason: `count ${lines.length} ≠ manifest ${manifest.count}` };
  const hash = createHash('sha256');
  for (const line of lines) hash.update(`${line}\n`);
  if (hash.digest('hex') !== manifest.sha256) return { ok: false, reason: 'content does not match the manifest digest' };
  return { ok: true, manifest };
};
