/**
 * Running SQL that a person wrote: answer files are scripts of several statements, read
 * from disk, possibly unanswered, possibly wrong. A failure says which file and line and
 * quotes the database's own message, so that the student sees what Postgres said.
 */
import { NOT_ANSWERED } from '../grading/task.ts';
import type { Database, StatementResult } from './database.ts';

/** A script and where it came from (a file name, for messages). */
export interface SqlSource {
  name: string;
  text: string;
}

/** Postgres refused a script: the database's message, its SQLSTATE and where. */
export class SqlScriptError extends Error {
  constructor(
    readonly source: string,
    readonly databaseMessage: string,
    readonly code: string | undefined,
    readonly line: number | undefined,
  ) {
    super(`${source}${line ? `:${line}` : ''}: ${databaseMessage}${code ? ` (SQLSTATE ${code})` : ''}`);
    this.name = 'SqlScriptError';
  }
}

/** What a database driver's error carries (PGlite and pg share these field names). */
interface DriverError {
  message: string;
  code?: string;
  position?: string | number;
  detail?: string;
}

const isDriverError = (error: unknown): error is DriverError =>
  error instanceof Error && typeof (error as { code?: unknown }).code === 'string';

/** The line of a character position (1-based, as Postgres reports it) in a script. */
function lineAt(text: string, position: number): number {
  return text.slice(0, Math.max(0, position - 1)).split('\n').length;
}

/** The database's error as a one-line message with SQLSTATE, or the error itself if foreign. */
export function databaseError(error: unknown, source: string, text?: string): SqlScriptError | unknown {
  if (!isDriverError(error)) return error;
  const position = error.position === undefined || error.position === '' ? undefined : Number(error.position);
  const message = error.detail ? `${error.message} — ${error.detail}` : error.message;
  return new SqlScriptError(source, message, error.code, text && position ? lineAt(text, position) : undefined);
}

/** Run a script; on failure throw a `SqlScriptError` naming the file and line. */
export async function runScript(db: Database, source: SqlSource): Promise<StatementResult[]> {
  try {
    return await db.exec(source.text);
  } catch (error) {
    throw databaseError(error, source.name, source.text);
  }
}

/** Run one statement expecting it to fail; returns the database's error, or null if it succeeded. */
export async function expectRefusal(db: Database, sql: string, params: readonly unknown[] = []): Promise<SqlScriptError | null> {
  try {
    await db.query(sql, params);
    return null;
  } catch (error) {
    const refused = databaseError(error, 'the check');
    if (refused instanceof SqlScriptError) return refused;
    throw error;
  }
}

/** Strip `--` line comments and blank lines: what is left is the SQL itself. */
export function withoutComments(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/--.*$/, '').trim())
    .filter((line) => line !== '')
    .join('\n');
}

/** A student's SQL file is answered once it holds more than comments (the stub's `-- TODO` is one). */
export const isAnswered = (source: SqlSource): boolean => withoutComments(source.text) !== '';

/**
 * A student's SQL file as a source, or an error whose message contains NOT_ANSWERED when the
 * file holds nothing but comments (the stub's `-- TODO: not answered yet` included).
 */
export function answeredSql(source: SqlSource): SqlSource {
  if (!isAnswered(source)) {
    throw new Error(`${source.name}: ${NOT_ANSWERED}`);
  }
  return source;
}

/** A file lacks a `-- step: NAME` line: the student's file has the wrong shape, not a broken check. */
export class MissingStep extends Error {
  override name = 'MissingStep';
}

/**
 * Split a file into named steps. A step starts at a line `-- step: NAME` and runs to the next
 * such line; a chapter names the steps it expects, in order. Throws `MissingStep` if one is missing.
 */
export function splitSteps(source: SqlSource, expected: readonly string[]): Record<string, SqlSource> {
  const lines = source.text.split('\n');
  const starts: { name: string; at: number }[] = [];
  lines.forEach((line, at) => {
    const header = /^--\s*step:\s*(\S+)\s*$/.exec(line);
    if (header) starts.push({ name: header[1]!, at });
  });
  const missing = expected.filter((name) => !starts.some((s) => s.name === name));
  if (missing.length > 0) {
    throw new MissingStep(`${source.name}: missing the line "-- step: ${missing[0]}"; the file's steps are ${expected.join(', ')}, each after its own "-- step:" line`);
  }
  const steps: Record<string, SqlSource> = {};
  starts.forEach(({ name, at }, i) => {
    const end = starts[i + 1]?.at ?? lines.length;
    // Blank lines stand in for the rest of the file, so that the line Postgres reports an
    // error at is the line in the student's file.
    steps[name] = { name: `${source.name} (step ${name})`, text: '\n'.repeat(at) + lines.slice(at, end).join('\n') };
  });
  return Object.fromEntries(expected.map((name) => [name, steps[name]!]));
}
