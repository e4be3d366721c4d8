import { describe, expect, it } from 'vitest';
import { MarkerError, hasSolutionMarkers, solutionRegions, stripSolutions, todoCount } from '../../tools/build/stubs.ts';

const reference = `export function answer(): number {
  // BEGIN SOLUTION
  const x = 40;
  return x + 2;
  // END SOLUTION
}
`;

describe('the student-stub generator', () => {
  it('replaces each TypeScript solution region by a TODO that throws', () => {
    const stub = stripSolutions(reference, 'typescript');
    expect(stub).toBe(`export function answer(): number {\n  throw new Error('TODO: not answered yet');\n}\n`);
    expect(() => new Function(stub.replace('export ', '').replace(': number', '') + '; return answer();')()).toThrow(/not answered yet/);
  });

  it('replaces SQL regions by a TODO comment and keeps the rest', () => {
    const sql = 'CREATE TABLE a (id int);\n-- BEGIN SOLUTION\nINSERT INTO a VALUES (1);\n-- END SOLUTION\nSELECT 1;';
    expect(stripSolutions(sql, 'sql')).toBe('CREATE TABLE a (id int);\n-- TODO: not answered yet\nSELECT 1;');
  });

  it('refuses unbalanced markers, naming the line', () => {
    expect(() => stripSolutions('// BEGIN SOLUTION\nx', 'typescript', 'f.ts')).toThrow(MarkerError);
    expect(() => stripSolutions('x\n// END SOLUTION', 'typescript', 'f.ts')).toThrow(/f.ts:2/);
    expect(() => stripSolutions('// BEGIN SOLUTION\n// BEGIN SOLUTION\n// END SOLUTION', 'typescript')).toThrow(/line 1/);
  });

  it('counts the TODOs a stub still holds, so that the build can tell an answered one', () => {
    const stub = stripSolutions(reference + reference.replace('answer()', 'other()'), 'typescript');
    expect(todoCount(stub)).toBe(2);
    expect(todoCount(stub.replace("throw new Error('TODO: not answered yet');", 'return 42;'))).toBe(1);
  });

  it('quotes the solution regions, dedented, for the answer key', () => {
    expect(solutionRegions(reference, 'typescript')).toEqual(['const x = 40;\nreturn x + 2;']);
    expect(hasSolutionMarkers(reference)).toBe(true);
    expect(hasSolutionMarkers('no markers')).toBe(false);
  });
});
