// Recording is stable: programs that draw random temporary names (CPython's tempfile, Node's
// mkdtemp, mktemp(1), Go's os.MkdirTemp) are recorded 10 times each. Every recording must give
// the same files, exec and network grants, and each must replay its program 3 times without a
// refusal: one run's random names never become grants that break the next run.
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { FIXTURES, NODE, PYTHON, seen, syscage, tempDir } from '../fixtures/record-run/harness.js';

// 4 programs × (10 recordings + 30 replays), two programs at a time.
t.setTimeout(600_000);
const RECORDINGS = 10;
const REPLAYS = 3;
const GO = '/usr/bin/go';
const dir = join(FIXTURES, 'temp-names');
const work = tempDir(t, 'syscage-rec-temp-');
const home = tempDir(t, 'syscage-rec-temp-home-');
const o = { home, cwd: work, timeoutMs: 60_000 };

/** The Go program, built here (Go from Debian's golang-go). */
async function buildGo(): Promise<string> {
  const out = join(work, 'mkdirtemp');
  await promisify(execFile)(GO, ['build', '-o', out, join(dir, 'mkdirtemp.go')], {
    cwd: work,
    env: { PATH: '/usr/bin:/bin', HOME: home, GOCACHE: join(work, 'gocache'), GOPATH: join(work, 'gopath'), GO111MODULE: 'off', CGO_ENABLED: '0' },
  });
  return out;
}

interface Program { readonly name: string; readonly skip: string | false; readonly command: () => Promise<string[]> }
const PROGRAMS: readonly Program[] = [
  { name: "CPython's tempfile", skip: existsSync(PYTHON) ? false : `${PYTHON} is not installed`, command: async () => [PYTHON, join(dir, 'mkdtemp.py')] },
  { name: "Node's fs.mkdtemp", skip: existsSync(NODE) ? false : `${NODE} is not installed`, command: async () => [NODE, join(dir, 'mkdtemp.mjs')] },
  { name: 'mktemp(1)', skip: false, command: async () => ['/usr/bin/sh', join(dir, 'mktemp.sh')] },
  {
    name: "Go's os.MkdirTemp",
    skip: existsSync(GO) ? false : `${GO} is not installed (Debian's golang-go: .ci/run installs it)`,
    command: async () => [await buildGo()],
  },
];

/** The grants of a recorded profile: files, exec and network, comments and counts aside. */
function grants(path: string): unknown {
  const doc = parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  return { files: doc['files'] ?? null, exec: doc['exec'] ?? null, network: doc['network'] ?? null };
}

const checked = /syscage: (\d+) checked calls: (\d+) denied, (\d+) killed/;

async function stable(t: Test, p: Program): Promise<void> {
  const command = await p.command();
  const slug = p.name.replace(/\W+/g, '-');
  const seenGrants: string[] = [];
  for (let i = 1; i <= RECORDINGS; i++) {
    const profile = join(work, `${slug}-${i}.yaml`);
    const r = await syscage(['record', '-o', profile, '--', ...command], o);
    t.equal(r.status, 0, `recording ${i}: exit 0`, seen(r));
    seenGrants.push(JSON.stringify(grants(profile)));
    for (let j = 1; j <= REPLAYS; j++) {
      const run = await syscage(['run', '--profile', profile, '--', ...command], o);
      const [, traps, denied, killed] = checked.exec(run.stderr) ?? [];
      const ok = run.status === 0 && run.stdout === 'ok\n' && denied === '0' && killed === '0';
      t.ok(ok, `recording ${i}, replay ${j}: exit 0, its work done, 0 of ${traps ?? '?'} checked calls refused`, seen(run));
    }
  }
  const distinct = [...new Set(seenGrants)];
  t.equal(distinct.length, 1, `${RECORDINGS} recordings, identical grants`, { grants: distinct.map((g) => JSON.parse(g)) });
  t.comment(`${p.name}: ${JSON.stringify(JSON.parse(distinct[0]!).files?.write ?? [])}`);
}

// Two at a time: the machine has two CPUs, and a recording is mostly waiting on the tracer.
for (const half of [PROGRAMS.slice(0, 2), PROGRAMS.slice(2)]) {
  t.test(half.map((p) => p.name).join(' and '), async (t) => {
    for (const p of half.filter((p) => p.skip)) t.test(p.name, { skip: p.skip }, async () => undefined);
    await Promise.all(half.filter((p) => !p.skip).map((p) => stable(t, p)));
  });
}
