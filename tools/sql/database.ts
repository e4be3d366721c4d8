/**
 * The database every chapter's SQL runs on: real Postgres, either embedded or a server.
 *
 * - By default the embedded `@electric-sql/pglite` (PostgreSQL compiled to WebAssembly, in
 *   this process, nothing to install). Its first instance costs several seconds, so one is
 *   opened per process, lazily, and shared by every check in it.
 * - When `DATABASE_URL` is set, a server reached with `pg` (one connection, the same API).
 *
 * Both return `bigint` (int8) columns as JavaScript `bigint`, never as a rounded `number` or
 * a string: money is integer minor units and must come back exact. Other numbers keep their
 * drivers' defaults (int4 → number, numeric → string), so cast a `SUM(bigint)`, which
 * Postgres types as numeric, back to bigint when you read it.
 */
import { PGlite, types } from '@electric-sql/pglite';

export interface StatementResult {
  /** Rows as objects keyed by column name (empty for statements that return none). */
  rows: Record<string, unknown>[];
  /** Column names, in order. */
  columns: string[];
  /** Rows inserted, updated or deleted, when the statement reports it. */
  affectedRows?: number;
}

export interface Database {
  readonly kind: 'pglite' | 'server';
  /** One statement, with `$1`, `$2`… parameters. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** A script of several statements, no parameters: one result per statement, in order. */
  exec(script: string): Promise<StatementResult[]>;
  close(): Promise<void>;
}

/** OID of Postgres's int8 (bigint) type. */
const INT8 = 20;

async function openPglite(dataDir?: string): Promise<Database> {
  const db = await PGlite.create({ dataDir, parsers: { [types.INT8]: (text: string) => BigInt(text) } });
  return {
    kind: 'pglite',
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      return (await db.query(sql, params as unknown[])).rows as Row[];
    },
    async exec(script: string) {
      const results = await db.exec(script);
      return results.map((r) => ({
        rows: r.rows as Record<string, unknown>[],
        columns: r.fields.map((f) => f.name),
        affectedRows: r.affectedRows,
      }));
    },
    close: () => db.close(),
  };
}

async function openServer(connectionString: string): Promise<Database> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({
    connectionString,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8 ? (text: string) => BigInt(text) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  await client.connect();
  // A server, unlike the embedded database, can stop a runaway statement by itself.
  await client.query(`SET statement_timeout = '10s'`);
  type PgResult = { rows: Record<string, unknown>[]; fields?: { name: string }[]; rowCount: number | null };
  return {
    kind: 'server',
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      return (await client.query(sql, params as unknown[])).rows as Row[];
    },
    async exec(script: string) {
      // The simple-query protocol runs every statement of the script; pg returns an array of
      // results when there are several, a single result otherwise.
      const raw = (await client.query(script)) as unknown as PgResult | PgResult[];
      return (Array.isArray(raw) ? raw : [raw]).map((r) => ({
        rows: r.rows,
        columns: (r.fields ?? []).map((f) => f.name),
        affectedRows: r.rowCount ?? undefined,
      }));
    },
    close: () => client.end(),
  };
}

let shared: Promise<Database> | undefined;

/** The process's database, opened on first use and shared afterwards. */
export function sharedDatabase(): Promise<Database> {
  shared ??= process.env.DATABASE_URL ? openServer(process.env.DATABASE_URL) : openPglite();
  return shared;
}

/** Close the process's database (the next `sharedDatabase()` opens a new one). */
export async function closeSharedDatabase(): Promise<void> {
  const open = shared;
  shared = undefined;
  if (open) await (await open).close();
}

/** An embedded database kept in a directory on disk (for crash experiments). */
export const openDataDirectory = (dataDir: string): Promise<Database> => openPglite(dataDir);
