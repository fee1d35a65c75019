// docs/deploy.md's CDK snippets are the code the other tests synthesize: section 3 shows
// cdk/example/lib/stack.ts and cdk/example/function/syscage.yaml verbatim, and every other
// TypeScript block in the guide is a run of whole lines of that stack.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cdkRoot, syscageRoot } from './helpers/paths.js';

const guide = readFileSync(join(syscageRoot, 'docs', 'deploy.md'), 'utf8');
const stack = readFileSync(join(cdkRoot, 'example', 'lib', 'stack.ts'), 'utf8');
const profile = readFileSync(join(cdkRoot, 'example', 'function', 'syscage.yaml'), 'utf8');

/** The fenced blocks of a language: their text, each ending with a newline. */
const blocks = (lang: string) => [...guide.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'gm'))].map((m) => m[1]!);
/** A section of the guide: from its heading to the next heading of the same or a higher level (outside code blocks). */
const section = (heading: string) => {
  const lines = guide.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) return '';
  const level = /^#+/.exec(heading)![0].length;
  let fenced = false;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (lines[i]!.startsWith('```')) fenced = !fenced;
    else if (!fenced && new RegExp(`^#{1,${level}} `).test(lines[i]!)) { end = i; break; }
  }
  return lines.slice(start, end).join('\n') + '\n';
};

t.test('section 3\'s CDK part shows the example stack and its profile, verbatim, and says what is verified', async (t) => {
  const cdk = section('### CDK, TypeScript (verified by synthesis, not deployed)');
  t.ok(cdk, 'the section is there, marked verified by synthesis');
  t.ok(cdk.includes('```ts\n' + stack + '```'), 'cdk/example/lib/stack.ts, verbatim');
  t.ok(cdk.includes('```yaml\n' + profile + '```'), 'cdk/example/function/syscage.yaml, verbatim');
  t.match(cdk, /not deployed/);
  t.notMatch(cdk, /new lambda\.(LayerVersion|Function)\(/, 'no hand-written LayerVersion or Function left');
});

t.test('every TypeScript block of the guide is the stack or a run of its whole lines', async (t) => {
  const ts = blocks('ts');
  t.ok(ts.length >= 2, `${ts.length} blocks (section 3 and section 8)`);
  for (const b of ts) t.ok(stack === b || stack.includes('\n' + b), `block "${b.split('\n')[0]!.trim()}…" is in cdk/example/lib/stack.ts`);
});

t.test('section 8 shows the alarm through the construct', async (t) => {
  const metrics = section('## 8. Metrics and an alarm');
  const ts = [...metrics.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  t.equal(ts.length, 1, 'one CDK block');
  t.match(ts[0], /violationsAlarm: \{ threshold: 0, topic: alerts \}/);
});

t.test('the AWS CLI and SAM sections stay, still unverified', async (t) => {
  t.ok(guide.includes('### AWS CLI (unverified)'));
  t.ok(guide.includes('### SAM (unverified)'));
  t.ok(guide.includes('SAM, beside the function of section 3 **(unverified)**'));
});
