/**
 * Where a process spends its CPU: the self time of a V8 CPU profile (`node --cpu-prof`), summed
 * per package (node_modules), per file of the workbook, or per V8 category (garbage collector,
 * program, idle).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame belongs: a package, a repository file, Node's internals or a V8 category. */
function placeOf(frame: ProfileNode['callFrame'], root: string): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native code)';
  if (url.startsWith('wasm:')) return 'WebAssembly (PGlite\'s PostgreSQL)';
  if (url.startsWith('node:')) return 'Node.js internals';
  const path = url.startsWith('file:') ? fileURLToPath(url) : url;
  const inModules = path.lastIndexOf('/node_modules/');
  if (inModules >= 0) {
    const parts = path.slice(inModules + '/node_modules/'.length).split('/');
    return `package ${parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  return relative(root, path);
}

/**
 * Milliseconds of self time per place, over every profile in `dir` (one per thread), largest
 * first. `(idle)` is time the thread waited (for a child process, a timer, the disk, or a CPU
 * another process held): not CPU time, so left out.
 */
export function selfTimeByPlace(dir: string, root: string): { place: string; ms: number }[] {
  const totals = new Map<string, number>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const places = new Map(profile.nodes.map((node) => [node.id, placeOf(node.callFrame, root)]));
    // timeDeltas[i + 1] is the time from sample i to the next: sample i's share.
    profile.samples.forEach((id, i) => {
      const place = places.get(id)!;
      totals.set(place, (totals.get(place) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
    });
  }
  totals.delete('(idle)');
  return [...totals].map(([place, ms]) => ({ place, ms })).sort((a, b) => b.ms - a.ms);
}
