// profiles/python.yaml with a real workload: the Python standard-library
// runtime loop (test/fixtures/invoke/echo-runtime.py) behind `syscage
// bootstrap`, in process, against the local Runtime API emulator. The test
// profile extends the shipped one only with where this machine keeps what
// Lambda keeps in /var/lang and /var/task (Debian's python3, the checkout);
// every event must be answered and nothing refused — not even a syscall the
// kernel would have refused by `default: deny` (the supervisor reports those).
import t from 'tap';
import { existsSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { packageRoot } from '../../lib/paths.js';
import { ancestors, serve } from '../fixtures/profiles/serve.js';

const root = packageRoot();
const python = '/usr/bin/python3';
const runtime = join(root, 'test', 'fixtures', 'invoke', 'echo-runtime.py');
const skip = existsSync(python) ? false : `${python} is not installed`;
const dir = mkdtempSync(join(tmpdir(), 'syscage-profile-python-'));
const q = (s: string) => JSON.stringify(s);

// This machine's layout (Debian): the interpreter in /usr/bin, its shared libraries in
// /lib/<triplet> and /usr/lib/<triplet>, site directories in /usr/local and /etc/python3.*,
// and whatever .pth files this machine installs there. Nothing else is added.
const fixtures = dirname(runtime);
const machine = [
  python, realpathSync(python), '/usr/bin/**',      // getpath.py looks for landmarks beside the interpreter
  '/usr/pyvenv.cfg', '/usr/lib/**', '/lib/**',
  '/usr/local/lib/**', '/etc/python3*/**', '/root/.local/**',
  '/usr/share/locale/**', '/usr/lib/ssl/**',
  fixtures + '/**', ...ancestors(fixtures + '/x'),
];
const profileFile = join(dir, 'python-here.yaml');
writeFileSync(profileFile, [
  'version: 1',
  'name: python-here',
  'extends: [python]',
  'files:',
  `  read: [${machine.map(q).join(', ')}]`,
].join('\n') + '\n');

const serveHere = (events: unknown[], profile: string) => serve({ events, profile, command: [python, runtime], taskRoot: fixtures });

const events = [{ n: 1 }, { n: 2, text: 'héllo', list: [1, 2, 3] }, { n: 3, nested: { deep: true } }];

t.test('the Python runtime loop answers every event under profiles/python.yaml, nothing refused', { skip }, async (t) => {
  const { results, audit } = await serveHere(events, profileFile);
  t.same(results.map((r) => r.status), ['response', 'response', 'response'], 'every event answered');
  t.same(results.map((r) => JSON.parse(r.body!.toString())), events.map((e) => ({ echo: e })), 'each with its own echo');
  t.same(audit.map((a) => a.message), [], 'no denial, no kill');
});

t.test('in audit mode too: not one would-be refusal (none hidden by an errno the runtime ignores)', { skip }, async (t) => {
  const audited = join(dir, 'python-here-audit.yaml');
  writeFileSync(audited, `version: 1\nname: python-here-audit\nextends: [${q(profileFile)}]\nmode: audit\n`);
  const { results, audit } = await serveHere(events, audited);
  t.equal(results.filter((r) => r.status === 'response').length, 3, 'every event answered');
  t.same(audit.map((a) => a.message), [], 'no event at all');
});

t.test('the shipped profile still refuses what a Python function should not do', { skip }, async (t) => {
  // the fixture's {"secret": true} reads /etc/shadow: not in python.yaml's reads
  const { results, audit } = await serveHere([{ n: 1, secret: true }], profileFile);
  t.equal(results[0]?.status, 'response', 'the runtime survives the refusal (violation: deny)');
  t.ok(audit.some((a) => JSON.stringify(a).includes('/etc/shadow')), 'and the read of /etc/shadow is reported');
});
