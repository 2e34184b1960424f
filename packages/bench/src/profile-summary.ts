#!/usr/bin/env node
// Summarises V8 CPU profiles (.cpuprofile, from `node --cpu-prof` or
// `npm run bench -- --profile DIR`): where the non-idle time went, by
// package / Node module and by function (self time), and the inclusive time
// of functions whose name matches --focus.
//   node packages/bench/dist/profile-summary.js [--top 25] [--focus re] FILE...
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** The package or module a script belongs to: `execa`, `@grpc/grpc-js`, `node:child_process`, `dist-exec/worker`. */
export function ownerOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1] as string;
  if (url.startsWith('node:')) return url;
  const ours = /packages\/([^/]+)\/dist\//.exec(url);
  if (ours) return `dist-exec/${ours[1]}`;
  return url;
}

/** Package plus file for our own code (`dist-exec/master/job-queue.js`), where a line number means something. */
function where(url: string, functionName: string): string {
  const owner = ownerOf(url, functionName);
  const file = /packages\/[^/]+\/dist\/(.+)$/.exec(url)?.[1];
  return file ? `${owner}/${file}` : owner;
}

function summarise(path: string, top: number, focus: RegExp | null): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const focused = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id) as ProfileNode;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    busy += us;
    const owner = ownerOf(url, functionName);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${where(url, functionName)}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    if (focus) {
      // Inclusive time: charge the sample to each distinct matching frame on its stack.
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = (byId.get(at) as ProfileNode).callFrame;
        const label = `${frame.functionName} ${ownerOf(frame.url, frame.functionName)}`;
        if (!seen.has(label) && focus.test(label)) {
          seen.add(label);
          focused.set(label, (focused.get(label) ?? 0) + us);
        }
      }
    }
  }
  const wallUs = profile.endTime - profile.startTime;
  const pct = (us: number): string =>
    `${((100 * us) / busy).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms`;
  const list = (map: Map<string, number>): string =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => `  ${pct(us)}  ${name}`)
      .join('\n');
  return [
    `${path}: ${(wallUs / 1000).toFixed(0)} ms profiled, ${(busy / 1000).toFixed(0)} ms busy (${((100 * busy) / wallUs).toFixed(0)}% of one core)`,
    'self time by package / module:',
    list(byOwner),
    'self time by function:',
    list(byFunction),
    ...(focus ? [`inclusive time of frames matching ${focus}:`, list(focused)] : []),
  ].join('\n');
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, focus: { type: 'string' } },
});
if (positionals.length === 0) {
  process.stderr.write(
    'usage: node packages/bench/dist/profile-summary.js [--top 25] [--focus regexp] FILE.cpuprofile...\n',
  );
  process.exit(2);
}
for (const file of positionals)
  process.stdout.write(`${summarise(file, Number(values.top), values.focus ? new RegExp(values.focus) : null)}\n\n`);
