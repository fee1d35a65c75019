import t, { type Test } from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERRNO_NAMES, errnoName, errnoNumber } from '../../lib/arch/errno.js';
import { UAPI } from './fixtures/headers.js';

t.test('well-known values', async (t) => {
  t.equal(errnoNumber('EPERM'), 1);
  t.equal(errnoNumber('ENOENT'), 2);
  t.equal(errnoNumber('EACCES'), 13);
  t.equal(errnoNumber('ENOSYS'), 38);
  t.equal(errnoNumber('EHWPOISON'), 133);
  t.equal(errnoNumber('EWOULDBLOCK'), 11);
  t.equal(errnoNumber('EDEADLOCK'), 35);
  t.equal(errnoNumber('ENOTSUP'), 95);
  t.equal(errnoName(11), 'EAGAIN', 'the canonical name, not the alias');
  t.equal(errnoName(35), 'EDEADLK');
  t.equal(errnoName(95), 'EOPNOTSUPP');
  for (const n of [0, 41, 58, 134, 512, -1]) t.equal(errnoName(n), undefined, `no errno ${n}`);
  for (const s of ['eperm', 'EPERM ', '', 'toString', 'ERESTARTSYS']) t.equal(errnoNumber(s), undefined, JSON.stringify(s));
});

t.test('names and numbers round trip', async (t) => {
  t.equal(new Set(ERRNO_NAMES).size, ERRNO_NAMES.length, 'no duplicate names');
  const canonical = ERRNO_NAMES.filter((name) => errnoName(errnoNumber(name)!) === name);
  t.equal(canonical.length, 131, '133 numbers less the 2 unassigned');
  t.same(ERRNO_NAMES.slice(-3), ['EWOULDBLOCK', 'EDEADLOCK', 'ENOTSUP'], 'aliases last');
  for (const name of ERRNO_NAMES) t.type(errnoNumber(name), 'number', name);
});

/** `#define EXXX value` pairs of an errno header, aliases resolved to numbers. */
function parseErrnoHeaders(files: string[]): Map<string, number> {
  const raw = new Map<string, string>();
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(/^#define\s+(E[A-Z0-9]+)\s+(\w+)/gm)) raw.set(m[1]!, m[2]!);
  }
  const values = new Map<string, number>();
  for (const [name, v] of raw) {
    const n = /^\d+$/.test(v) ? Number(v) : Number(raw.get(v));
    if (!Number.isInteger(n)) throw new Error(`cannot resolve ${name} = ${v}`);
    values.set(name, n);
  }
  return values;
}

/** Every errno of the headers under `dir` is ours with the same number, and vice versa. */
function checkAgainst(t: Test, dir: string): void {
  const header = parseErrnoHeaders(['errno-base.h', 'errno.h'].map((f) => join(dir, 'asm-generic', f)));
  t.ok(header.size > 130, `${header.size} names in ${dir}/asm-generic`);
  for (const [name, n] of header) t.equal(errnoNumber(name), n, `${name} = ${n}`);
  // Everything we accept is in the header, except glibc's POSIX spelling of EOPNOTSUPP.
  for (const name of ERRNO_NAMES) {
    if (name === 'ENOTSUP') t.equal(errnoNumber(name), header.get('EOPNOTSUPP'));
    else t.ok(header.has(name), `${name} is in the header`);
  }
}

const systemWhy = existsSync('/usr/include/asm-generic/errno.h') ? undefined : '/usr/include/asm-generic/errno.h is not installed (linux-libc-dev)';
t.test('matches the installed asm-generic/errno*.h', { skip: systemWhy }, async (t) => {
  checkAgainst(t, '/usr/include');
});

for (const [arch, { include, pkg }] of Object.entries(UAPI)) {
  const own = join(include, 'asm', 'errno.h');
  const why = existsSync(own) ? undefined : `${pkg} is not installed`;
  t.test(`matches the ${arch} uapi headers`, { skip: why }, async (t) => {
    // x86 and arm64 keep no numbers of their own: asm/errno.h is only the generic include.
    const body = readFileSync(own, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').trim();
    t.equal(body, '#include <asm-generic/errno.h>', `${arch} asm/errno.h adds nothing`);
    checkAgainst(t, include);
  });
}
