import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDatabase } from '../src/cli/seed.ts';
import { recipientsQ, sourcesQ } from '../src/db/queries/index.ts';
import { createTestDatabase, TEST_DB } from './helpers/db.ts';
import type { TestDatabase } from './helpers/db.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/finrep.js');

describe(`finrep seed (${TEST_DB})`, () => {
  let t: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    dir = mkdtempSync(path.join(tmpdir(), 'finrep-seed-'));
    writeFileSync(
      path.join(dir, 'sources.yaml'),
      'sources:\n  - key: cs\n    name: 中证网\n    kind: rss\n    url: https://www.cs.com.cn/rss.xml\n' +
        '  - name: 新华财经\n    kind: rss\n    url: https://www.cnfin.com/rss.xml\n',
    );
    writeFileSync(
      path.join(dir, 'people.csv'),
      'email,name,groups\nzhao@example.com,赵一,研究部\nqian@example.com,钱二,\n',
    );
  }, 180_000);
  afterAll(async () => {
    await t?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the demo world and files, and a second run changes nothing', async () => {
    const opts = {
      demo: true,
      files: [path.join(dir, 'sources.yaml'), path.join(dir, 'people.csv')],
      timeZone: 'Asia/Shanghai',
    };
    const first = await seedDatabase(t.db, opts);
    expect(first.lines).toEqual([
      'demo sources: 9 (9 new) at http://127.0.0.1:8090',
      'demo recipients: 3 (3 new)',
      `${opts.files[0]}: 2 sources (2 new, 0 updated)`,
      `${opts.files[1]}: 2 recipients (2 new, 0 updated, 0 invalid)`,
    ]);
    const second = await seedDatabase(t.db, opts);
    expect(second.lines).toEqual([
      'demo sources: 9 (0 new) at http://127.0.0.1:8090',
      'demo recipients: 3 (0 new)',
      `${opts.files[0]}: 2 sources (0 new, 0 updated)`,
      // The recipients importer counts every existing address it merges as updated (nothing changes).
      `${opts.files[1]}: 2 recipients (0 new, 2 updated, 0 invalid)`,
    ]);
    const sources = await sourcesQ.listSources(t.db);
    expect(sources).toHaveLength(11);
    expect(sources.map((s) => s.key)).toContain('demo:feed-companies');
    expect(await recipientsQ.countRecipients(t.db)).toBe(5);
  });

  it('`finrep seed` says what to give when given nothing, ', () => {
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', FINREP_DATA_DIR: dir };
    const none = spawnSync(process.execPath, [BIN, 'seed'], { encoding: 'utf8', env, timeout: 120_000 });
    expect(none.status).toBe(1);
    expect(none.stderr.trim()).toBe('finrep: error: nothing to seed: give --demo and/or --file FILE');
  });
});
