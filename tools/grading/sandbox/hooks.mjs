// Module hooks of the checker's worker thread: an import of one of the submission's files
// (a chapter's loadAnswers importing answers.ts) gets a stand-in module whose functions call
// into the sandboxed process and whose values are copies of the answers' exported data. The
// checker's realm never evaluates a line of the student's code.
let modules = {};
let sourceRoot;
const callUrl = new URL('./call.ts', import.meta.url).href;

// One checker grades many submissions: each one's answers arrive on the port before the
// checker imports them (it waits for the reply), replacing the last one's.
export function initialize(data) {
  data.port.on('message', (message) => {
    modules = message.modules ?? {};
    sourceRoot = message.sourceRoot;
    data.port.postMessage({ id: message.id });
  });
  data.port.unref();
}

const identifier = /^[A-Za-z_$][\w$]*$/;

function standIn(description) {
  const lines = [`import { callAnswer, fromReply } from ${JSON.stringify(callUrl)};`];
  if (description.error) {
    lines.push(`const error = new Error(${JSON.stringify(description.error.message)});`);
    lines.push(`error.name = ${JSON.stringify(description.error.name)};`);
    lines.push(`error.stack = ${JSON.stringify(description.error.stack || `${description.error.name}: ${description.error.message}`)};`);
    lines.push('throw error;');
    return lines.join('\n');
  }
  for (const [name, reply] of Object.entries(description.exports)) {
    if (name !== 'default' && !identifier.test(name)) continue;
    const value =
      reply.kind === 'function'
        ? `function ${name === 'default' ? 'answer' : name}(...args) { return callAnswer(${JSON.stringify(description.file)}, ${JSON.stringify(name)}, args); }`
        : `(() => { try { return fromReply(${JSON.stringify(reply)}); } catch (error) { return undefined; } })()`;
    lines.push(name === 'default' ? `export default ${value};` : `export const ${name} = ${value};`);
  }
  return lines.join('\n');
}

// The answers' files need not exist where the checker looks for them (a missing or left-out
// answers.ts has a stand-in that says so): resolve them without asking the file system.
export async function resolve(specifier, context, nextResolve) {
  if (/^(file:|\.{1,2}\/|\/)/.test(specifier)) {
    const url = specifier.startsWith('/') ? new URL(`file://${specifier}`).href : new URL(specifier, context.parentURL).href;
    if (modules[url.split('?')[0]]) return { url, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  const plain = url.split('?')[0].split('#')[0];
  const description = modules[plain];
  if (description) {
    // A query asks for a fresh instance of the module (1.4's restart): the stand-in calls a
    // fresh instance in the sandbox too, loaded there by its first call.
    const query = new URL(url).search;
    const fresh = query && !description.error ? { ...description, file: `${description.file}${query}` } : description;
    return { format: 'module', source: standIn(fresh), shortCircuit: true };
  }
  // Any other file of the submission stays out of the checker's realm.
  if (sourceRoot && plain.startsWith(sourceRoot)) {
    const error = { name: 'Error', message: `${plain.slice(sourceRoot.length)} is not one of the answer files the grader loads`, stack: '' };
    return { format: 'module', source: standIn({ error }), shortCircuit: true };
  }
  return nextLoad(url, context);
}
