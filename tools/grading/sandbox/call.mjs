// The checker's side of a call into the sandboxed answers: synchronous, as the checks expect.
// The request goes to the grader's main thread, which forwards it to the answers' process;
// this thread sleeps on a shared flag until the reply (plain data) is posted back.
import { receiveMessageOnPort, workerData } from 'node:worker_threads';

const port = workerData?.rpcPort;
const flag = workerData?.rpcFlag ? new Int32Array(workerData.rpcFlag) : undefined;
let nextId = 0;

const NON_FINITE = '\u0000number';
const reviver = (_key, value) => {
  if (value && typeof value === 'object' && typeof value[NON_FINITE] === 'string') {
    const text = value[NON_FINITE];
    return text.endsWith('n') ? BigInt(text.slice(0, -1)) : Number(text);
  }
  return value;
};

/** Thrown in place of the answer's own exception: same name, message and stack (as text). */
export class AnswerThrew extends Error {}

/** The answers' process stopped (a limit, process.exit, out of memory) during this call. */
export class AnswerStopped extends Error {
  name = 'AnswerStopped';
}

/** Decode a reply into a value, or throw what the answer threw. */
export function fromReply(reply) {
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
      throw Object.assign(new AnswerThrew(`returned a value that is not plain data (${reply.message})`), { name: 'TypeError' });
    case 'threw': {
      const error = new AnswerThrew(reply.message);
      error.name = reply.name;
      error.stack = reply.stack || `${reply.name}: ${reply.message}`;
      throw error;
    }
    default:
      throw new AnswerStopped(`your answer's process ${reply.message ?? 'stopped'}`);
  }
}

export function callAnswer(file, name, args) {
  if (!port || !flag) throw new AnswerStopped('the answers are not connected to this checker');
  let text;
  try {
    text = JSON.stringify(args);
  } catch (error) {
    throw new TypeError(`the check passed a value that is not plain data to ${name}: ${error.message}`);
  }
  const id = ++nextId;
  Atomics.store(flag, 0, 0);
  port.postMessage({ id, file, name, args: text });
  for (;;) {
    // Short waits, so that a terminate() from the grader is never blocked for long.
    Atomics.wait(flag, 0, 0, 200);
    const received = receiveMessageOnPort(port);
    if (!received) continue;
    if (received.message.id === id) return fromReply(received.message.reply);
  }
}
