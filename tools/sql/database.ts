/**
 * The database every chapter's SQL runs on: a real PostgreSQL server, reached with `pg`.
 *
 * - By default the embedded server (`embedded-server.ts`: PostgreSQL 15.18 from npm), started
 *   once per process by `sqlServer()` and stopped by `closeSqlServer()` or at exit.
 * - When `DATABASE_URL` is set, that server; its role needs CREATEDB and CREATEROLE.
 *
 * Each check gets a scratch database of its own, owned by a login role of its own (random
 * names the answer cannot predict, no superuser, no file or program access), dropped
 * afterwards. Several sessions can connect to it, so races are real.
 *
 * int8 (bigint) columns come back as JavaScript `bigint`, never as a rounded `number` or a
 * string: money is integer minor units. A `SUM(bigint)` is numeric in Postgres: cast it back.
 */
import { randomBytes } from 'node:crypto';
import { EnvironmentError } from '../grading/task.ts';
import { embeddedPostgresVersion, startEmbeddedServer, type EmbeddedServer } from './embedded-server.ts';

export interface StatementResult {
  /** Rows as objects keyed by column name (empty for statements that return none). */
  rows: Record<string, unknown>[];
  /** Column names, in order. */
  columns: string[];
  /** Rows inserted, updated or deleted, when the statement reports it. */
  affectedRows?: number;
}

/** One session (one connection) to a database. */
export interface Database {
  /** The server process serving this session (`pg_backend_pid()`). */
  readonly backendPid: number;
  /** One statement, with `$1`, `$2`… parameters. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** A script of several statements, no parameters: one result per statement, in order. */
  exec(script: string): Promise<StatementResult[]>;
  close(): Promise<void>;
}

/** OID of Postgres's int8 (bigint) type. */
const INT8 = 20;

type PgResult = { rows: Record<string, unknown>[]; fields?: { name: string }[]; rowCount: number | null };

/** Open a session; a refused connection is the environment's failure, never the answer's. */
export async function connect(connectionString: string, settings: Record<string, string> = {}): Promise<Database> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({
    connectionString,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8 ? (text: string) => BigInt(text) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // A dropped connection is reported on the statement that was running; without a listener
  // the 'error' event would end the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new EnvironmentError(`could not connect to PostgreSQL at ${redact(connectionString)}: ${(error as Error).message}`);
  }
  for (const [name, value] of Object.entries(settings)) await client.query(`SELECT set_config($1, $2, false)`, [name, value]);
  const [{ pid }] = (await client.query('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
  return {
    backendPid: pid,
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
    close: () => client.end().catch(() => undefined),
  };
}

/** A connection string without its password, for messages. */
export const redact = (url: string) => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');

/** The server the checks run on. */
export interface SqlServer {
  readonly kind: 'embedded' | 'external';
  /** `server_version` as the server reports it, e.g. `15.18`. */
  readonly version: string;
  /** A fresh database owned by a fresh role; drop it when done. */
  scratch(label: string): Promise<ScratchDatabase>;
  /** Cancel every statement running in a scratch database (from outside, on a deadline). */
  cancelAll(database: string): Promise<void>;
  close(): Promise<void>;
  /** The embedded server itself (crash experiments), when it is the one in use. */
  readonly embedded?: EmbeddedServer;
}

export interface ScratchDatabase {
  readonly name: string;
  /** The first session, as the scratch role. */
  readonly db: Database;
  /** Another session on the same database, as the same role (for races). */
  session(): Promise<Database>;
  /** A superuser (or DATABASE_URL role) session on the scratch database, for the checker's own probes. */
  admin(): Promise<Database>;
  /** Close every session and drop the database and its role. */
  drop(): Promise<void>;
}

/** Statement timeout of every scratch session: a runaway query ends as an error, not a hang. */
export const scratchStatementTimeout = '8s';

/** A name nobody can predict: the checker's names must not be guessable by an answer. */
export const unpredictableName = (prefix: string) => `${prefix}_${randomBytes(6).toString('hex')}`;

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

function withDatabase(url: string, database: string, user?: string, password?: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  if (user !== undefined) {
    parsed.username = encodeURIComponent(user);
    parsed.password = encodeURIComponent(password ?? '');
  }
  return parsed.toString();
}

async function openServer(adminUrl: string, kind: SqlServer['kind'], embedded?: EmbeddedServer): Promise<SqlServer> {
  const admin = await connect(adminUrl);
  const [{ server_version: version }] = await admin.query<{ server_version: string }>('SHOW server_version');
  if (Number.parseInt(version, 10) < 15) {
    await admin.close();
    throw new EnvironmentError(`the checks need PostgreSQL 15 or later; the server at ${redact(adminUrl)} runs ${version}`);
  }
  const scratches = new Set<ScratchDatabase>();
  const server: SqlServer = {
    kind,
    version,
    embedded,
    async scratch(label) {
      const base = `check_${label.replace(/\W+/g, '_').toLowerCase()}`;
      const name = unpredictableName(base);
      const password = randomBytes(12).toString('hex');
      try {
        await admin.exec(
          `CREATE ROLE ${quoteIdent(name)} LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
           ALTER ROLE ${quoteIdent(name)} SET statement_timeout = '${scratchStatementTimeout}';
           ALTER ROLE ${quoteIdent(name)} SET idle_in_transaction_session_timeout = '30s';`,
        );
        await admin.query(`CREATE DATABASE ${quoteIdent(name)} OWNER ${quoteIdent(name)} TEMPLATE template0 STRATEGY FILE_COPY`);
        await admin.query(`REVOKE ALL ON DATABASE ${quoteIdent(name)} FROM PUBLIC`);
        await admin.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${quoteIdent(name)} TO ${quoteIdent(name)}`);
      } catch (error) {
        await dropScratch(admin, name);
        throw new EnvironmentError(`could not create a scratch database and role on ${redact(adminUrl)} (its role needs CREATEDB and CREATEROLE): ${(error as Error).message}`);
      }
      const url = withDatabase(adminUrl, name, name, password);
      const sessions: Database[] = [];
      const open = async (asAdmin = false) => {
        const session = await connect(asAdmin ? withDatabase(adminUrl, name) : url);
        sessions.push(session);
        return session;
      };
      const db = await open();
      const scratch: ScratchDatabase = {
        name,
        db,
        session: () => open(),
        admin: () => open(true),
        async drop() {
          scratches.delete(scratch);
          await Promise.all(sessions.map((s) => s.close()));
          await dropScratch(admin, name);
        },
      };
      scratches.add(scratch);
      return scratch;
    },
    async cancelAll(database) {
      await admin.query(`SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database]);
    },
    async close() {
      for (const scratch of [...scratches]) await scratch.drop().catch(() => undefined);
      await admin.close();
      await embedded?.stop();
    },
  };
  if (kind === 'external') await sweepScratches(admin);
  return server;
}

async function dropScratch(admin: Database, name: string): Promise<void> {
  await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`).catch(() => undefined);
  await admin.query(`DROP ROLE IF EXISTS ${quoteIdent(name)}`).catch(() => undefined);
}

/**
 * A check killed on an external server leaves its database and role: drop those older than
 * an hour (a younger one may belong to a grader running right now).
 */
async function sweepScratches(admin: Database): Promise<void> {
  const stale = await admin
    .query<{ datname: string }>(
      `SELECT d.datname FROM pg_database d
       WHERE d.datname ~ '^check_[a-z0-9_]+_[0-9a-f]{12}$'
         AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname AND a.backend_start > now() - interval '1 hour')
         AND (pg_stat_file('base/' || d.oid || '/PG_VERSION', true)).modification < now() - interval '1 hour'`,
    )
    .catch(() => [] as { datname: string }[]);
  for (const { datname } of stale) await dropScratch(admin, datname);
}

let shared: Promise<SqlServer> | undefined;

/** The process's server, started (or connected) on first use and shared afterwards. */
export function sqlServer(): Promise<SqlServer> {
  shared ??= openSqlServer().catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}

async function openSqlServer(): Promise<SqlServer> {
  const url = process.env.DATABASE_URL;
  if (url) {
    try {
      new URL(url);
    } catch {
      throw new EnvironmentError(`DATABASE_URL is not a connection string (postgres://user:password@host:port/database): ${redact(url)}`);
    }
    return openServer(url, 'external');
  }
  let embedded: EmbeddedServer;
  try {
    embedded = await startEmbeddedServer();
  } catch (error) {
    throw new EnvironmentError(
      `the embedded PostgreSQL ${embeddedPostgresVersion} did not start (${(error as Error).message}); set DATABASE_URL to a PostgreSQL 15+ server instead`,
    );
  }
  try {
    return await openServer(embedded.adminUrl, 'embedded', embedded);
  } catch (error) {
    await embedded.stop();
    throw error;
  }
}

/** Stop the process's server (the next `sqlServer()` starts a new one). */
export async function closeSqlServer(): Promise<void> {
  const open = shared;
  shared = undefined;
  if (open) await (await open.catch(() => undefined))?.close();
}

/** Run `work` in a scratch database of its own, dropped afterwards whatever happens. */
export async function withScratchDatabase<T>(label: string, work: (scratch: ScratchDatabase) => Promise<T>): Promise<T> {
  const server = await sqlServer();
  const scratch = await server.scratch(label);
  try {
    return await work(scratch);
  } finally {
    await scratch.drop();
  }
}
