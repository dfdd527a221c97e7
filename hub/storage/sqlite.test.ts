import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from './sqlite.ts';
import { storageContract } from './storage.contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'bg-sqlite-store-'));
storageContract('SQLite', async () => openSqliteStorage({ file: join(dir, 'hub.sqlite'), synchronous: 'NORMAL' }), async () => rmSync(dir, { recursive: true, force: true }));
