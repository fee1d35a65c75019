// End to end with the real Node runtime client, aws-lambda-ric (npm), as the
// sandboxed handler behind syscage's bootstrap and proxy, driven by the local
// Runtime API emulator. scripts/install-ric.sh installs it into test/.ric
// (it builds a native addon); .ci/run does so.
import t from 'tap';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InvocationResult } from '../../lib/runtime/emulator.js';
import { serveLocally } from '../../lib/runtime/local.js';
import { packageRoot } from '../../lib/paths.js';

const root = packageRoot();
const ric = join(root, 'test', '.ric', 'node_modules', 'aws-lambda-ric', 'index.mjs');
const taskRoot = join(root, 'test', 'fixtures', 'ric');
const skip = existsSync(ric) ? false : 'aws-lambda-ric is not installed: run scripts/install-ric.sh (it needs cmake, autoconf, automake, libtool)';
const dir = mkdtempSync(join(tmpdir(), 'syscage-ric-'));
/** /a/b/c → /a, /a/b: Node's module resolution looks at each. */
const ancestors = (p: string): string[] => p.split('/').slice(1, -1).map((_, i, parts) => '/' + parts.slice(0, i + 1).join('/'));
const profile = join(dir, 'syscage.yaml');
// The shipped profile for such handlers, plus where this checkout keeps what Lambda keeps in
// /var/task, /opt and /var/lang, and a secret to refuse.
writeFileSync(profile, [
  'version: 1',
  'extends: [lambda-nodejs]',
  'violation: kill',
  'files:',
  `  read: [${JSON.stringify(root + '/**')}, ${ancestors(root).map((a) => JSON.stringify(a)).join(', ')}, ${JSON.stringify(process.execPath)}, "/usr/bin/**"]`,
  '  deny: [/etc/shadow]',
].join('\n') + '\n');

const denials: string[] = [];

async function invoke(events: unknown[], handler = 'index.handler', extraEnv: Record<string, string> = {}): Promise<{ results: InvocationResult[]; status: number }> {
  denials.length = 0;
  return serveLocally({
    emulator: { events, handler, taskRoot, timeoutMs: 20_000 },
    env: { HOME: '/tmp', SYSCAGE_PROFILE: profile, SYSCAGE_COMMAND: JSON.stringify([process.execPath, ric]), ...extraEnv },
    deps: {
      log: { log: (_level: string, message: string) => { if (/^syscage: (denied|killed)/.test(message)) denials.push(message); }, emit: () => undefined },
      sleep: async () => undefined,
    },
  });
}

const body = (r: InvocationResult | undefined): unknown => JSON.parse(r?.body?.toString() ?? 'null');

t.test('normal responses and a handler exception', { skip }, async (t) => {
  const { results } = await invoke([{ n: 1 }, { n: 2, throw: true }, { n: 3 }]);
  t.same(results.map((r) => r.status), ['response', 'error', 'response']);
  t.same(body(results[0]), { echo: { n: 1 } });
  t.equal(results[1]?.error?.errorType, 'Error', 'the exception is the invocation\'s error');
  t.match(results[1]?.error?.errorMessage, /boom 2/);
  t.same(body(results[2]), { echo: { n: 3 } });
  // Node.js 26 (its libuv) sets up an io_uring at start, to batch epoll_ctl, and falls back to
  // plain epoll_ctl when that fails: syscage answers that probe ENOSYS in the kernel, unreported
  // (lib/compile/plan.ts), so it is no refusal here. Node 20 never tries.
  t.same(denials, [], 'the shipped lambda-nodejs profile refuses nothing aws-lambda-ric and the handler need');
});

t.test('a streamed response', { skip }, async (t) => {
  const { results } = await invoke([{ n: 1 }], 'index.stream');
  t.equal(results[0]?.status, 'response');
  t.equal(results[0]?.streamed, true, 'in streaming mode');
  t.equal(results[0]?.body?.toString(), 'first second');
});

t.test('a 5 MB response body intact', { skip }, async (t) => {
  const { results } = await invoke([{ big: true }]);
  t.equal(results[0]?.status, 'response');
  const s = body(results[0]) as string;
  t.equal(s.length, 5 * 1024 * 1024);
  t.ok(/^x+$/.test(s), 'every byte');
});

t.test('a violation mid-invocation: Runtime.SyscallViolation, and the next invocation succeeds', { skip }, async (t) => {
  const { results } = await invoke([{ n: 1 }, { n: 2, secret: true }, { n: 3 }]);
  t.same(results.map((r) => r.status), ['response', 'error', 'response']);
  t.equal(results[1]?.error?.errorType, 'Runtime.SyscallViolation');
  t.match(results[1]?.error?.errorMessage, /\/etc\/shadow/);
  t.same(body(results[2]), { echo: { n: 3 } }, 'served by a restarted handler');
});

t.test('a violation during init: an init error', { skip }, async (t) => {
  const { results, status } = await invoke([{ n: 1 }], 'index.handler', { READ_SECRET_AT_INIT: '1' });
  t.equal(status, 1, 'the bootstrap exits');
  t.equal(results[0]?.status, 'init-error');
  t.equal(results[0]?.error?.errorType, 'Runtime.SyscallViolation');
});
