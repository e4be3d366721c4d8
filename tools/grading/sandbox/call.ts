// The checker's side of a call into the sandboxed answers: synchronous, as the checks expect.
// The call is written on the submission's channel (two named pipes, see CallChannel in
// host.ts) and this thread blocks reading the reply (plain data). A process that ends wakes it:
// the grader then writes `endedLine` on the replies pipe.
import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { workerData } from 'node:worker_threads';
import { sandboxLimits, type CallChannel, type Reply } from './host.ts';
import { changeInPlace, isHandedOver, keepMarks } from '../handed-over.ts';

// This thread's calls go to a sandbox: what a check hands over is marked, to be written back.
keepMarks();

/**
 * Shared with the grader's main thread, one Int32 slot each: a call in flight (1) and its
 * number, for the grader's clocks; set by this thread when the answers' process must be ended
 * (a reply over the size limit); set by the grader once that process has ended.
 */
const flag = (workerData as { rpcFlag?: SharedArrayBuffer } | undefined)?.rpcFlag ? new Int32Array((workerData as { rpcFlag: SharedArrayBuffer }).rpcFlag) : undefined;
export const IN_CALL_SLOT = 0;
export const CALL_NUMBER_SLOT = 1;
export const KILL_SLOT = 2;
export const ENDED_SLOT = 3;
export const signalSlots = 4;
let channel: { calls: number; replies: number; pending: string; decoder: StringDecoder; ended?: string } | undefined;
let nextId = 0;
let calls = 0;
let throws = 0;

/**
 * How many calls into the answers so far, and how many of them threw (or were stopped), so
 * that run-task.ts can tell a check's FAIL that quotes a thrown exception from a wrong value.
 */
export const answerCalls = () => ({ calls, throws });

const NON_FINITE = '\u0000number';
const reviver = (_key: string, value: unknown) => {
  if (value && typeof value === 'object' && typeof (value as Record<string, unknown>)[NON_FINITE] === 'string') {
    const text = (value as Record<string, string>)[NON_FINITE]!;
    return text.endsWith('n') ? BigInt(text.slice(0, -1)) : Number(text);
  }
  return value;
};

/** Thrown in place of the answer's own exception: same name, message and stack (as text). */
export class AnswerThrew extends Error {}

/** The answers' process stopped (a limit, process.exit, out of memory) during this call. */
export class AnswerStopped extends Error {
  override name = 'AnswerStopped';
}

/** Decode a reply into a value, or throw what the answer threw. */
export function fromReply(reply: Reply): unknown {
  switch (reply.kind) {
    case 'value': {
      const value = JSON.parse(reply.json, reviver);
      return reply.async ? Promise.resolve(value) : value;
    }
    case 'undefined':
      return reply.async ? Promise.resolve(undefined) : undefined;
    case 'function':
      return () => {
        throw new TypeError('a function returned by an answer cannot be called by the grader: return plain data');
      };
    case 'unserialisable':
      throws++;
      throw Object.assign(new AnswerThrew(`returned a value that is not plain data (${reply.message})`), { name: 'TypeError' });
    case 'threw': {
      throws++;
      const error = new AnswerThrew(reply.message);
      error.name = reply.name;
      error.stack = reply.stack || `${reply.name}: ${reply.message}`;
      throw error;
    }
    case 'stopped':
      throws++;
      throw Object.assign(new AnswerStopped(`your answer's process ${reply.message}`), { before: reply.before === true });
    default:
      throw new AnswerStopped(`your answer's process sent a reply the grader does not know`);
  }
}

/**
 * What the answer did to the arguments handed over to it, done to the check's copies (see
 * handed-over.ts). The reply is untrusted: only a handed-over argument is written to, and only
 * with plain data read from JSON.
 */
function changeHandedOver(args: unknown[], reply: Reply): void {
  const changed = 'changed' in reply ? reply.changed : undefined;
  if (typeof changed !== 'object' || changed === null) return;
  for (const [index, json] of Object.entries(changed)) {
    const arg = args[Number(index)];
    if (!isHandedOver(arg) || typeof json !== 'string') continue;
    try {
      changeInPlace(arg, JSON.parse(json, reviver));
    } catch {
      // Not JSON: the sandbox did not write this; nothing to change.
    }
  }
}

/** Calls go to this submission's answers from now on. */
export function connect(paths: CallChannel) {
  disconnect();
  // Opened for reading and writing, which never waits for the other end (Linux, BSDs): a
  // process that is gone, or a grading already stopped, cannot leave this thread stuck in open().
  channel = { calls: openSync(paths.calls, constants.O_RDWR), replies: openSync(paths.replies, constants.O_RDWR), pending: '', decoder: new StringDecoder('utf8') };
}

export function disconnect() {
  if (!channel) return;
  closeSync(channel.calls);
  closeSync(channel.replies);
  channel = undefined;
}

/** The next line on the replies pipe; undefined (and the process to be ended) past the size limit. */
const chunk = Buffer.allocUnsafe(1 << 16);
function readLine(open: NonNullable<typeof channel>): string | undefined {
  let newline;
  while ((newline = open.pending.indexOf('\n')) < 0) {
    if (open.pending.length > sandboxLimits.replyBytes) return undefined;
    const read = readSync(open.replies, chunk, 0, chunk.length, null);
    if (read === 0) return JSON.stringify({ id: -1, kind: 'stopped', message: 'closed its channel' });
    open.pending += open.decoder.write(chunk.subarray(0, read));
  }
  const line = open.pending.slice(0, newline);
  open.pending = open.pending.slice(newline + 1);
  return line;
}

function readReply(text: string): { id: number; reply: Reply } | undefined {
  try {
    const { id, ...reply } = JSON.parse(text) as { id: unknown; kind: unknown };
    return typeof id === 'number' && typeof reply.kind === 'string' ? { id, reply: reply as Reply } : undefined;
  } catch {
    return undefined;
  }
}

export function callAnswer(file: string, name: string, args: unknown[]): unknown {
  if (!channel || !flag) throw new AnswerStopped('the answers are not connected to this checker');
  if (channel.ended) return fromReply({ kind: 'stopped', message: channel.ended, before: true });
  // Ended before this call was made: the call never reaches the answers (and nothing is read:
  // the pipes may be closed already).
  if (Atomics.load(flag, ENDED_SLOT) === 1) return fromReply({ kind: 'stopped', message: 'had ended before this call', before: true });
  let text;
  try {
    text = JSON.stringify(args);
  } catch (error) {
    throw new TypeError(`the check passed a value that is not plain data to ${name}: ${(error as Error).message}`);
  }
  const id = ++nextId;
  calls++;
  // For the grader's clocks: a call is in flight, and which one.
  Atomics.store(flag, IN_CALL_SLOT, 1);
  Atomics.store(flag, CALL_NUMBER_SLOT, id);
  const open = channel;
  try {
    const watch = args.flatMap((arg, i) => (isHandedOver(arg) ? [i] : []));
    writeSync(open.calls, JSON.stringify({ id, op: 'call', file, name, args: text, ...(watch.length > 0 && { watch }) }) + '\n');
    for (;;) {
      const line = readLine(open);
      if (line === undefined) {
        open.ended = `returned more than ${sandboxLimits.replyBytes / 1e6} MB`;
        Atomics.store(flag, KILL_SLOT, 1);
        return fromReply({ kind: 'stopped', message: open.ended });
      }
      const message = readReply(line);
      // The grader's news that the process ended; otherwise only the reply to this call counts.
      if (message?.id === -1) {
        open.ended = message.reply.kind === 'stopped' ? message.reply.message : 'ended';
        return fromReply({ kind: 'stopped', message: open.ended });
      }
      if (message?.id === id) {
        changeHandedOver(args, message.reply);
        return fromReply(message.reply);
      }
    }
  } finally {
    Atomics.store(flag, IN_CALL_SLOT, 0);
  }
}
