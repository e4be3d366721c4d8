// The sandboxed side of a submission's grading: loads the answers' bundles and calls their
// functions on request. It runs in its own process under Node's permission model (it may read
// only its bundles), with no environment, bounded memory and CPU, and often in its own user,
// PID and network namespaces. Nothing here is trusted: the grader reads what comes back on
// fd 3 as data, bounded in size, and only as the reply to the call it is waiting for.
import { readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StringDecoder } from 'node:string_decoder';

const runDir = process.argv[2];
const REPLIES = 3;
// The checker's channel (see CallChannel in host.ts): its calls arrive on 4, replies go to 5.
const CALLS = 4;
const CALL_REPLIES = 5;
const stringify = JSON.stringify;
const parse = JSON.parse;
const modules = new Map();

// JSON has no NaN, Infinity or undefined; an answer returning one must not read as null.
const NON_FINITE = '\u0000number';
const replacer = (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? { [NON_FINITE]: String(value) } : typeof value === 'bigint' ? { [NON_FINITE]: `${value}n` } : value);

function reply(message, fd = REPLIES) {
  writeSync(fd, stringify(message) + '\n');
}

function describeThrown(error) {
  if (error instanceof Error || (error && typeof error === 'object' && 'message' in error)) {
    return { name: String(error.name ?? 'Error'), message: String(error.message), stack: String(error.stack ?? '') };
  }
  return { name: 'thrown value', message: String(error), stack: '' };
}

function encode(value) {
  if (value === undefined) return { kind: 'undefined' };
  if (typeof value === 'function') return { kind: 'function' };
  try {
    return { kind: 'value', json: stringify(value, replacer) };
  } catch (error) {
    return { kind: 'unserialisable', message: String(error?.message ?? error) };
  }
}

async function handle(request) {
  if (request.op === 'load') {
    const namespace = await import(pathToFileURL(join(runDir, request.file)).href);
    modules.set(request.file, namespace);
    const exports = {};
    for (const name of Object.keys(namespace)) exports[name] = encode(namespace[name]);
    return { kind: 'loaded', exports };
  }
  // A file with a query is a fresh instance of a loaded module (a restarted server): its own
  // module-level state, its top level run again, here, within the call.
  if (!modules.has(request.file) && request.file.includes('?')) {
    const [file, query] = request.file.split('?');
    if (modules.has(file)) modules.set(request.file, await import(`${pathToFileURL(join(runDir, file)).href}?${query}`));
  }
  const fn = modules.get(request.file)?.[request.name];
  if (typeof fn !== 'function') return { kind: 'threw', name: 'TypeError', message: `answers.${request.name} is not a function`, stack: '' };
  const args = parse(request.args);
  let outcome;
  try {
    const result = fn(...args);
    outcome = result && typeof result.then === 'function' ? { ...encode(await result), async: true } : encode(result);
  } catch (error) {
    outcome = { kind: 'threw', ...describeThrown(error) };
  }
  const changed = changedArguments(request, args);
  return changed ? { ...outcome, changed } : outcome;
}

/**
 * The arguments the check handed over as the answer's own (see tools/grading/handed-over.ts)
 * that the call changed, as JSON, by index. Most calls change nothing: the arguments written
 * again are then the text they were read from (JSON read back writes as it was), one write for
 * all; only when they differ is each handed-over argument compared with a fresh reading.
 */
function changedArguments(request, args) {
  const watched = request.watch ?? [];
  if (watched.length === 0 || writeArguments(args) === request.args) return undefined;
  const before = parse(request.args);
  const changed = {};
  for (const i of watched) {
    const after = writeArgument(args[i]);
    if (after !== undefined && after !== writeArgument(before[i])) changed[i] = after;
  }
  return Object.keys(changed).length > 0 ? changed : undefined;
}

function writeArguments(args) {
  try {
    return stringify(args);
  } catch {
    return undefined;
  }
}

// An argument as JSON, or undefined when it cannot be written (an answer that made it cyclic:
// that change is not sent back).
function writeArgument(value) {
  try {
    return stringify(value, replacer);
  } catch {
    return undefined;
  }
}

// Before any student code: the grader learns that the sandbox itself started.
reply({ id: 0, kind: 'ready' });

let buffered = '';
let queue = Promise.resolve();
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf('\n')) >= 0) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    const request = parse(line);
    if (request.op === 'serve') {
      queue = queue.then(serveCalls);
      continue;
    }
    queue = queue.then(async () => {
      let outcome;
      try {
        outcome = await handle(request);
      } catch (error) {
        outcome = { kind: 'threw', ...describeThrown(error) };
      }
      reply({ id: request.id, ...outcome });
    });
  }
});
// The grader closes stdin when it is done: leave even if an answer left a timer running.
process.stdin.on('end', () => process.exit(0));

/**
 * Serve the checker's calls, one after another, in a synchronous loop: a call is read as soon
 * as it is written, with no turn of the event loop in between (an answer's promise is awaited,
 * and its timers run only then). Ends only with the process.
 */
async function serveCalls() {
  const chunk = Buffer.alloc(1 << 16);
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for (;;) {
    let newline;
    while ((newline = pending.indexOf('\n')) < 0) {
      const read = readSync(CALLS, chunk, 0, chunk.length, null);
      if (read === 0) return;
      pending += decoder.write(chunk.subarray(0, read));
    }
    const request = parse(pending.slice(0, newline));
    pending = pending.slice(newline + 1);
    let outcome;
    try {
      outcome = await handle(request);
    } catch (error) {
      outcome = { kind: 'threw', ...describeThrown(error) };
    }
    reply({ id: request.id, ...outcome }, CALL_REPLIES);
  }
}
