// The raw reference for `npm run bench -- scan-path`: what a zone would otherwise wire up (serial → SQLite), as
// plain as it gets — read CR-terminated lines from a serial port, insert each into SQLite (WAL, synchronous NORMAL),
// one transaction per chunk read. Prints "ready", then "count N" on each SIGUSR2 … argv: PORT_PATH DB_FILE.
import Database from 'better-sqlite3';
import { SerialPort } from 'serialport';

const [path, file] = process.argv.slice(2);
const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE IF NOT EXISTS reads (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, text TEXT NOT NULL)');
const insert = db.prepare('INSERT INTO reads (at_ms, text) VALUES (?, ?)');
const insertAll = db.transaction((lines) => {
  const now = Date.now();
  for (const l of lines) insert.run(now, l);
});
let count = 0;
let rest = '';
const port = new SerialPort({ path, baudRate: 115200 });
port.on('data', (chunk) => {
  const parts = (rest + chunk.toString('latin1')).split('\r');
  rest = parts.pop() ?? '';
  const lines = parts.filter((l) => l.length > 0);
  insertAll(lines);
  count += lines.length;
});
port.on('open', () => console.log('ready'));
process.on('SIGUSR2', () => console.log(`count ${count}`));
process.on('SIGTERM', () => port.close(() => (db.close(), process.exit(0))));
