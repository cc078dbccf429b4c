/**
 * One replay pass in a fresh process: open the event store read-only in spirit (nothing
 * is appended), start the read models on a FRESH read-model database with the chosen
 * projections (all of them, or one), and time the projector from position 0 to the
 * head. Progress on stderr; one JSON line with the result on stdout.
 * Usage: replayChild.ts <events.db> <read-models.db> <all|projection name>
 */
import { createSqliteEventStore } from '../../event-store/sqlite/sqliteEventStore.ts';
import { allProjections } from '../../projections/allProjections.ts';
import { startReadModels } from '../../projections/readModels.ts';

const [eventsPath, readModelsPath, which] = process.argv.slice(2) as [string, string, string];
const projections = which === 'all' ? allProjections : allProjections.filter((p) => p.name === which);
if (projections.length === 0) throw new Error(`no projection ${which}`);

const store = createSqliteEventStore({ path: eventsPath });
const head = await store.headPosition();
const started = performance.now();
const readModels = startReadModels({ store, path: readModelsPath, projections });
let last = { at: started, position: 0n };
const timer = setInterval(() => {
  const now = performance.now();
  const position = readModels.projector.position();
  const rate = Number(position - last.position) / ((now - last.at) / 1_000);
  process.stderr.write(`[replay ${which}] ${((now - started) / 1_000).toFixed(0)} s: ${position.toLocaleString('en-US')}/${head.toLocaleString('en-US')} (${Math.round(rate).toLocaleString('en-US')} events/s)\n`);
  last = { at: now, position };
}, 1_000);
await readModels.projector.waitFor(head, 60 * 60_000);
// A read model loaded from scratch gets its secondary indexes once caught up: that is part of the replay.
await readModels.ready;
const seconds = (performance.now() - started) / 1_000;
clearInterval(timer);
await readModels.stop();
await store.close();
process.stdout.write(`${JSON.stringify({ projection: which, events: Number(head), seconds })}\n`);
