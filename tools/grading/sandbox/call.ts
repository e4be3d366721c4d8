// The checker's side of a call into the sandboxed answers: synchronous, as the checks expect.
// The request goes to the grader's main thread, which forwards it to the answers' process;
// this thread sleeps on a shared flag until the reply (plain data) is posted back.
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Reply } from './host.ts';

const port = (workerData as { rpcPort?: MessagePort } | undefined)?.rpcPort;
const flag = (workerData as { rpcFlag?: SharedArrayBuffer } | undefined)?.rpcFlag ? new Int32Array((workerData as { rpcFlag: SharedArrayBuffer }).rpcFlag) : undefined;
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

export function callAnswer(file: string, name: string, args: unknown[]): unknown {
  if (!port || !flag) throw new AnswerStopped('the answers are not connected to this checker');
  let text;
  try {
    text = JSON.stringify(args);
  } catch (error) {
    throw new TypeError(`the check passed a value that is not plain data to ${name}: ${(error as Error).message}`);
  }
  const id = ++nextId;
  calls++;
  Atomics.store(flag, 0, 0);
  // For the grader's clocks: a call is in flight (slot 1), and which one (slot 2).
  Atomics.store(flag, 1, 1);
  Atomics.store(flag, 2, id);
  port.postMessage({ id, file, name, args: text });
  for (;;) {
    // Short waits, so that a terminate() from the grader is never blocked for long.
    Atomics.wait(flag, 0, 0, 200);
    const received = receiveMessageOnPort(port);
    if (!received) continue;
    const message = received.message as { id: number; reply: Reply };
    if (message.id === id) {
      Atomics.store(flag, 1, 0);
      return fromReply(message.reply);
    }
  }
}
