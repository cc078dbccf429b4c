import { readFileSync } from 'node:fs';
import { verifyExport } from '../read-api/export/manifest.ts';

/** `npm run verify-export -- <file.ndjson> [public-key.pem]`: exit 0 when complete and unaltered. */
const [file, keyFile] = process.argv.slice(2);
if (!file) {
  console.error('usage: npm run verify-export -- <export.ndjson> [expected-public-key.pem]');
  process.exit(2);
}
const result = verifyExport(readFileSync(file, 'utf8'), keyFile ? readFileSync(keyFile, 'utf8') : undefined);
if (result.ok) {
  const m = result.manifest;
  console.log(`ok: ${m.count} events, positions ${m.first_position}..${m.last_position}, ${Object.keys(m.streams).length} streams, signed ${m.generated_at}`);
} else {
  console.error(`NOT VALID: ${result.reason}`);
  process.exit(1);
}
