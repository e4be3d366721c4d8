import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { BuildCache } from '../../tools/build/cache.ts';
import { moduleClosure, stepInputs } from '../../tools/build/inputs.ts';

let root: string;
const file = (path: string, text: string) => {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
  return join(root, path);
};

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'build-cache-'));
  file('solutions/01/key.ts', "import { model } from '../../models/m/machine.ts';\nexport const key = () => import('./helper.ts');\n");
  file('solutions/01/helper.ts', "export * from '../../tools/render/table.ts';\n");
  file('models/m/machine.ts', "import { z } from './part';\nimport 'xstate';\nexport const model = z;\n");
  file('models/m/part.ts', 'export const z = 1;\n');
  file('models/m/schema.sql', 'CREATE TABLE t (id int);\n');
  file('models/m/README.md', '# written by the build\n');
  file('models/other/machine.ts', 'export const unrelated = 1;\n');
  file('tools/render/table.ts', 'export const table = 1;\n');
  file('package-lock.json', '{}\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const rel = (paths: string[]) => paths.map((path) => path.slice(root.length + 1));

test('a step reads the modules it imports, transitively (static, dynamic, re-exports, no extension)', () => {
  expect(rel(moduleClosure([join(root, 'solutions/01/key.ts')]))).toEqual([
    'models/m/machine.ts',
    'models/m/part.ts',
    'solutions/01/helper.ts',
    'solutions/01/key.ts',
    'tools/render/table.ts',
  ]);
});

test("a step's inputs add the other files of its modules' folders and the lock file, not Markdown the build writes", () => {
  const inputs = rel(stepInputs([join(root, 'solutions/01/key.ts')], [], root));
  expect(inputs).toContain('models/m/schema.sql');
  expect(inputs).toContain('package-lock.json');
  expect(inputs).not.toContain('models/m/README.md');
  expect(inputs).not.toContain('models/other/machine.ts');
});

test('a step is skipped only while its inputs and outputs are what it left', () => {
  const inputs = () => stepInputs([join(root, 'solutions/01/key.ts')], [], root);
  const output = file('solutions/01/KEY.md', 'key\n');
  const first = new BuildCache(root);
  expect(first.upToDate('chapter 01', inputs())).toBeUndefined();
  first.record('chapter 01', inputs(), ['solutions/01/KEY.md'], { summary: 'one' });
  first.save();

  expect(new BuildCache(root).upToDate('chapter 01', inputs())).toEqual({ summary: 'one' });
  expect(new BuildCache(root, true).upToDate('chapter 01', inputs()), '--force').toBeUndefined();

  file('models/m/part.ts', 'export const z = 2;\n'); // a parameter changed
  expect(new BuildCache(root).upToDate('chapter 01', inputs())).toBeUndefined();
  file('models/m/part.ts', 'export const z = 1;\n');
  expect(new BuildCache(root).upToDate('chapter 01', inputs())).toEqual({ summary: 'one' });

  writeFileSync(output, 'edited by hand\n');
  expect(new BuildCache(root).upToDate('chapter 01', inputs())).toBeUndefined();
  rmSync(output);
  expect(new BuildCache(root).upToDate('chapter 01', inputs())).toBeUndefined();
});

test('an unreadable cache is a cold cache', () => {
  file('.cache/build.json', '{ not json');
  expect(new BuildCache(root).upToDate('chapter 01', [])).toBeUndefined();
});
