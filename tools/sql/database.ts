/**
 * The database every chapter's SQL runs on: a real PostgreSQL server, reached with `pg`.
 *
 * - By default the embedded server (`embedded-server.ts`: PostgreSQL 15.18 from npm), started
 *   once per process by `sqlServer()` and stopped by `closeSqlServer()` or at exit.
 * - When `DATABASE_URL` is set, that server; its role needs CREATEDB and CREATEROLE.
 *
 * Each check gets a scratch schema of its own, owned by a login role of its own (random names
 * the answer cannot predict, no superuser, no file or program access), dropped afterwards.
 * Several sessions can connect as that role, so races are real. (A database per check would
 * isolate as well, but CREATE DATABASE copies a template: tens of milliseconds on an idle
 * machine, over a second on a loaded one, against a few for a role and a schema.)
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
  /** A fresh schema owned by a fresh role, alone in it; drop it when done. */
  scratch(label: string): Promise<ScratchDatabase>;
  /** Cancel the statements of a scratch role that have run longer than `ms` (from outside). */
  cancelOverdue(scratchName: string, ms: number): Promise<void>;
  close(): Promise<void>;
  /** The embedded server itself (crash experiments), when it is the one in use. */
  readonly embedded?: EmbeddedServer;
}

/**
 * Where one check runs: a schema of its own in the server's checks database, owned by a login
 * role of its own (no superuser, no CREATEDB or CREATEROLE, no file or program access) whose
 * search_path is that schema. The role owns nothing else: not the database, not `public`
 * (where PostgreSQL 15 lets nobody but the owner create), not the other checks' schemas.
 */
export interface ScratchDatabase {
  /** The role's and the schema's name (random: an answer cannot predict it). */
  readonly name: string;
  /** The first session, as the scratch role. */
  readonly db: Database;
  /** Another session as the same role (for races). */
  session(): Promise<Database>;
  /** Close every session, cancel what still runs, drop the schema and the role. */
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

/** Names of scratch roles and schemas: `check_<label>_<12 hex digits>`. */
const scratchPattern = '^check_[a-z0-9_]+_[0-9a-f]{12}$';

async function openServer(serverUrl: string, kind: SqlServer['kind'], embedded?: EmbeddedServer): Promise<SqlServer> {
  const server = await connect(serverUrl);
  const [{ server_version: version }] = await server.query<{ server_version: string }>('SHOW server_version');
  if (Number.parseInt(version, 10) < 15) {
    await server.close();
    throw new EnvironmentError(`the checks need PostgreSQL 15 or later; the server at ${redact(serverUrl)} runs ${version}`);
  }
  // The embedded server is this process's alone: its own database serves. On a shared server,
  // a database of this process's own, created before any check's clock starts.
  let checksDatabase = new URL(serverUrl).pathname.slice(1) || 'postgres';
  if (kind === 'external') {
    await sweepScratches(server);
    checksDatabase = unpredictableName('checks');
    try {
      await server.query(`CREATE DATABASE ${quoteIdent(checksDatabase)}`);
    } catch (error) {
      await server.close();
      throw new EnvironmentError(`could not create a database for the checks on ${redact(serverUrl)} (its role needs CREATEDB and CREATEROLE): ${(error as Error).message}`);
    }
  }
  const adminUrl = withDatabase(serverUrl, checksDatabase);
  const admin = kind === 'external' ? await connect(adminUrl) : server;
  const scratches = new Set<ScratchDatabase>();
  const dropScratch = async (name: string) => {
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [name]).catch(() => undefined);
    await admin.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(name)} CASCADE; DROP OWNED BY ${quoteIdent(name)};`).catch(() => undefined);
    await admin.query(`DROP ROLE IF EXISTS ${quoteIdent(name)}`).catch(() => undefined);
  };
  return {
    kind,
    version,
    embedded,
    async scratch(label) {
      const name = unpredictableName(`check_${label.replace(/\W+/g, '_').toLowerCase()}`);
      const password = randomBytes(12).toString('hex');
      try {
        await admin.exec(
          `CREATE ROLE ${quoteIdent(name)} LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
           CREATE SCHEMA ${quoteIdent(name)} AUTHORIZATION ${quoteIdent(name)};
           ALTER ROLE ${quoteIdent(name)} SET search_path = ${quoteIdent(name)};
           ALTER ROLE ${quoteIdent(name)} SET statement_timeout = '${scratchStatementTimeout}';
           ALTER ROLE ${quoteIdent(name)} SET idle_in_transaction_session_timeout = '30s';
           ALTER ROLE ${quoteIdent(name)} SET client_connection_check_interval = '1s';`,
        );
      } catch (error) {
        await dropScratch(name);
        throw new EnvironmentError(`could not create a scratch role and schema on ${redact(serverUrl)} (its role needs CREATEROLE): ${(error as Error).message}`);
      }
      const url = withDatabase(adminUrl, checksDatabase, name, password);
      const sessions: Database[] = [];
      const open = async () => {
        const session = await connect(url);
        sessions.push(session);
        return session;
      };
      const db = await open();
      const scratch: ScratchDatabase = {
        name,
        db,
        session: open,
        async drop() {
          scratches.delete(scratch);
          await Promise.all(sessions.map((session) => session.close()));
          await dropScratch(name);
        },
      };
      scratches.add(scratch);
      return scratch;
    },
    async cancelOverdue(scratchName, ms) {
      await admin.query(
        `SELECT pg_cancel_backend(pid) FROM pg_stat_activity
         WHERE usename = $1 AND state = 'active' AND query_start < clock_timestamp() - make_interval(secs => $2::float8 / 1000)`,
        [scratchName, ms],
      );
    },
    async close() {
      for (const scratch of [...scratches]) await scratch.drop().catch(() => undefined);
      if (kind === 'external') {
        await admin.close();
        await server.query(`DROP DATABASE IF EXISTS ${quoteIdent(checksDatabase)} WITH (FORCE)`).catch(() => undefined);
      }
      await server.close();
      await embedded?.stop();
    },
  };
}

/**
 * A process killed while checking on an external server leaves its checks database and roles:
 * drop those no session has used for an hour (a younger one may be a grader running now).
 */
async function sweepScratches(server: Database): Promise<void> {
  const idle = `NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.backend_start > now() - interval '1 hour' AND (a.datname = d.datname OR a.usename = d.datname))`;
  const databases = await server
    .query<{ datname: string }>(
      `SELECT d.datname FROM pg_database d WHERE d.datname ~ '^checks_[0-9a-f]{12}$' AND ${idle}
         AND (pg_stat_file('base/' || d.oid || '/PG_VERSION', true)).modification < now() - interval '1 hour'`,
    )
    .catch(() => [] as { datname: string }[]);
  for (const { datname } of databases) await server.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`).catch(() => undefined);
  // Roles own nothing outside a checks database; once it is gone, an orphan role is dropped.
  const roles = await server
    .query<{ rolname: string }>(
      `SELECT rolname FROM pg_roles r WHERE rolname ~ '${scratchPattern}'
         AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.usename = r.rolname)
         AND NOT EXISTS (SELECT 1 FROM pg_shdepend s WHERE s.refobjid = r.oid AND s.deptype = 'o')`,
    )
    .catch(() => [] as { rolname: string }[]);
  for (const { rolname } of roles) await server.query(`DROP ROLE IF EXISTS ${quoteIdent(rolname)}`).catch(() => undefined);
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

/** Set by a batch grader for its checkers: the embedded server it started for the whole run. */
export const runServerVariable = 'WORKBOOK_RUN_DATABASE_URL';

async function openSqlServer(): Promise<SqlServer> {
  // The grading run's own embedded server, shared by its checkers: used as this process's own
  // would be (its database; the run stops it), each check still in a role and schema of its own.
  const runServer = process.env[runServerVariable];
  if (runServer) return openServer(runServer, 'embedded');
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

/**
 * A statement of a scratch role that runs longer than this is cancelled from outside: an
 * answer can `SET statement_timeout = 0`, it cannot stop the superuser's `pg_cancel_backend`.
 */
export const scratchDeadlineMs = 9_000;

/** Run `work` in a scratch schema and role of its own, dropped afterwards whatever happens. */
export async function withScratchDatabase<T>(label: string, work: (scratch: ScratchDatabase) => Promise<T>, deadlineMs = scratchDeadlineMs): Promise<T> {
  // Per statement, not per check: a check of many statements on a loaded machine may take
  // longer than any one of them may.
  const server = await sqlServer();
  const scratch = await server.scratch(label);
  const watch = setInterval(() => void server.cancelOverdue(scratch.name, deadlineMs).catch(() => undefined), Math.min(1_000, deadlineMs));
  try {
    return await work(scratch);
  } finally {
    clearInterval(watch);
    await scratch.drop();
  }
}
