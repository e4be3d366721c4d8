/**
 * One task's part of a student's answer file, put back to its stub: the declaration of each
 * function the task is answered in is replaced by the stub's, and the rest of the file (other
 * tasks' answers, the student's own helpers) is left as it is. When that cannot be done
 * safely — the file does not parse, a function is gone or renamed, or the task owns no
 * function of its own — the caller restores the whole file instead, and says so.
 */
import ts from 'typescript';

interface Span {
  start: number;
  end: number;
}

/** Where each top-level function (or `const f = …`) named in `names` is declared. */
function declarations(text: string, names: readonly string[]): Map<string, Span> | null {
  const file = ts.createSourceFile('answers.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  // A file that does not parse has no reliable boundaries to cut along.
  if ((file as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics.length) return null;
  const found = new Map<string, Span>();
  for (const statement of file.statements) {
    const named = ts.isFunctionDeclaration(statement)
      ? statement.name?.text
      : ts.isVariableStatement(statement) && statement.declarationList.declarations.length === 1
        ? ts.getNameOfDeclaration(statement.declarationList.declarations[0]!)?.getText(file)
        : undefined;
    if (!named || !names.includes(named)) continue;
    // Overloads declare a name more than once: cut from the first to the last.
    const span = { start: statement.getStart(file), end: statement.end };
    const seen = found.get(named);
    found.set(named, seen ? { start: Math.min(seen.start, span.start), end: Math.max(seen.end, span.end) } : span);
  }
  return found;
}

export type PartReset = { ok: true; text: string } | { ok: false; reason: string };

/** `current` with the declarations of `functions` taken from `stub`. */
export function resetFunctions(current: string, stub: string, functions: readonly string[]): PartReset {
  const fromStub = declarations(stub, functions);
  const inFile = declarations(current, functions);
  if (!fromStub || functions.some((name) => !fromStub.has(name))) return { ok: false, reason: 'the stub does not declare these functions' };
  if (!inFile) return { ok: false, reason: 'your file does not parse' };
  const missing = functions.filter((name) => !inFile.has(name));
  if (missing.length) return { ok: false, reason: `your file no longer declares ${missing.map((n) => `${n}()`).join(', ')}` };
  // From the end backwards, so that earlier offsets stay valid.
  const order = [...functions].sort((a, b) => inFile.get(b)!.start - inFile.get(a)!.start);
  let text = current;
  for (const name of order) {
    const at = inFile.get(name)!;
    const replacement = stub.slice(fromStub.get(name)!.start, fromStub.get(name)!.end);
    text = text.slice(0, at.start) + replacement + text.slice(at.end);
  }
  return { ok: true, text };
}
