/**
 * DATABASE_URL selects an external server: here a second PostgreSQL 15.18 started for the
 * test, reached only through its URL. The reference answers pass on it, and nothing of the
 * checks is left on it afterwards.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { closeSqlServer, connect, sqlServer } from '../../tools/sql/database.ts';
import { startEmbeddedServer, type EmbeddedServer } from '../../tools/sql/embedded-server.ts';
import { chapter } from '../../specs/02-ledger/chapter.ts';

let external: EmbeddedServer;
const saved = process.env.DATABASE_URL;

beforeAll(async () => {
  external = await startEmbeddedServer();
  // The embedded cluster drops its templates (the checks never need them); a real server has
  // template1, which the external path's CREATE DATABASE copies.
  const setup = await connect(external.adminUrl);
  await setup.query('CREATE DATABASE template1 TEMPLATE postgres IS_TEMPLATE true');
  await setup.close();
  await closeSqlServer();
  process.env.DATABASE_URL = external.adminUrl;
}, 60_000);

afterAll(async () => {
  await closeSqlServer();
  if (saved === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = saved;
  await external.stop();
});

test('the reference answers pass on the server in DATABASE_URL, which keeps no database or role of the checks', { timeout: 120_000 }, async () => {
  const server = await sqlServer();
  expect(server.kind).toBe('external');
  const answers = await chapter.loadAnswers('solutions/02-ledger');
  for (const task of chapter.tasks) {
    const result = await task.check(answers);
    expect(result.status, `${task.id}: ${result.message}`).toBe('pass');
  }
  await closeSqlServer();
  const probe = await connect(external.adminUrl);
  try {
    const databases = await probe.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'checks\\_%'`);
    const roles = await probe.query<{ rolname: string }>(`SELECT rolname FROM pg_roles WHERE rolname LIKE 'check\\_%'`);
    expect(databases).toEqual([]);
    expect(roles).toEqual([]);
  } finally {
    await probe.close();
  }
});
