/**
 * The process that gets killed: it opens an embedded Postgres on a data directory, runs the
 * statements it is given one call each (so that each one outside BEGIN … COMMIT commits on
 * its own), says `ready` on stdout and waits to be killed. See `crash.ts`.
 */
import { PGlite } from '@electric-sql/pglite';

const { dataDir, statements } = JSON.parse(process.argv[2]!) as { dataDir: string; statements: string[] };
const db = await PGlite.create({ dataDir });
for (const statement of statements) await db.exec(statement);
process.stdout.write('ready\n');
// Keep the process (and its open transaction) alive until the parent kills it.
setInterval(() => undefined, 60_000);
