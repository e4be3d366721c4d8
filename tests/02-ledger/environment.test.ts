/**
 * A server that cannot be reached is the environment's failure, never the answer's: the
 * task is an error that says so, not "your answer threw ECONNREFUSED".
 */
import { afterEach, expect, test } from 'vitest';
import { runTask } from '../../tools/grading/run-task.ts';
import { EnvironmentError } from '../../tools/grading/task.ts';
import { closeSqlServer, sqlServer } from '../../tools/sql/database.ts';
import { chapter } from '../../specs/02-ledger/chapter.ts';

const saved = process.env.DATABASE_URL;
afterEach(async () => {
  if (saved === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = saved;
  await closeSqlServer();
});

test('a DATABASE_URL where nothing listens is an EnvironmentError, and the task says the environment failed', async () => {
  await closeSqlServer();
  process.env.DATABASE_URL = 'postgres://nobody:secret@127.0.0.1:1/nothing';
  await expect(sqlServer()).rejects.toThrow(EnvironmentError);
  await expect(chapter.prepare!()).rejects.toThrow(/could not connect to PostgreSQL at postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1/);
  const answers = await chapter.loadAnswers('solutions/02-ledger');
  const report = await runTask(chapter, chapter.tasks[0]!, answers);
  expect(report.status).toBe('error');
  expect(report.message).toMatch(/^task 2\.1: the grading environment failed \(could not connect.*not your answer.s fault/);
  expect(report.message).not.toMatch(/your answer threw|secret/);
});

test('a DATABASE_URL that is no connection string is an EnvironmentError naming the expected form', async () => {
  await closeSqlServer();
  process.env.DATABASE_URL = 'localhost 5432';
  await expect(sqlServer()).rejects.toThrow(/DATABASE_URL is not a connection string/);
});

test('the embedded server runs PostgreSQL 15.18', { timeout: 60_000 }, async () => {
  delete process.env.DATABASE_URL;
  const server = await sqlServer();
  expect(server.kind).toBe('embedded');
  expect(server.version).toMatch(/^15\.18\b/);
});
