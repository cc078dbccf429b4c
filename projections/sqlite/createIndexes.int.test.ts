import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchDir } from '../../testing/tempEventStore.ts';
import type { Projection } from '../projection.ts';
import { createSqliteReadStore } from './sqliteReadStore.ts';

const dir = scratchDir('create-indexes');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const version = (indexes: string[][]): Projection => ({
  name: 'notes',
  version: 1,
  tables: { notes: { columns: { id: 'text', owner: 'text', topic: 'text' }, primaryKey: ['id'], indexes } },
  project: () => [],
});

describe('secondary indexes of a live build', () => {
  it('are the declared ones after a start: new ones built, ones a former version declared dropped, the rest kept', () => {
    const store = createSqliteReadStore(join(dir, 'read.db'));
    const build = store.createBuild(version([['owner'], ['topic']]));
    const indexes = () => store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name").pluck().all();
    expect(indexes()).toEqual(['notes_1_notes__owner', 'notes_1_notes__topic']);
    store.db.exec('CREATE INDEX unrelated ON notes_1_notes (owner, topic)');
    store.createIndexes(version([['topic'], ['owner', 'topic']]), build);
    expect(indexes()).toEqual(['notes_1_notes__owner_topic', 'notes_1_notes__topic', 'unrelated']);
    store.close();
  });
});
