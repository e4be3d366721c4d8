/**
 * A fresh, empty schema for one check, dropped afterwards: checks share one database (it is
 * slow to open) without seeing each other's tables. Unqualified names in the check's SQL
 * resolve to the scratch schema through `search_path`.
 */
import type { Database } from './database.ts';

let counter = 0;

export async function withScratchSchema<T>(db: Database, label: string, work: (schema: string) => Promise<T>): Promise<T> {
  const schema = `check_${label.replace(/\W+/g, '_').toLowerCase()}_${process.pid}_${++counter}`;
  await db.exec(`CREATE SCHEMA ${schema}; SET search_path TO ${schema}, public;`);
  try {
    return await work(schema);
  } finally {
    // Student SQL may have left a transaction open or aborted: end it before cleaning up.
    await db.exec(`ROLLBACK`).catch(() => undefined);
    await db.exec(`SET search_path TO public; DROP SCHEMA IF EXISTS ${schema} CASCADE;`);
  }
}
