// checkWritable and writeAtomically (record's profiles and report's page), on a real temporary directory.
import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkWritable, writeAtomically } from '../../lib/record/profile-file.js';

const root = process.getuid?.() === 0;

t.test('checkWritable', async (t) => {
  const dir = t.testdir({ 'exists.yaml': 'old\n', sub: {} });
  t.equal(checkWritable(join(dir, 'new.yaml'), false), undefined, 'a new file in a writable directory');
  t.equal(checkWritable(join(dir, 'exists.yaml'), false), `${join(dir, 'exists.yaml')} already exists; use --force to overwrite it`);
  t.equal(checkWritable(join(dir, 'exists.yaml'), true), undefined, '--force');
  t.equal(checkWritable(join(dir, 'sub'), true), `${join(dir, 'sub')} is a directory; give a file name`);
  t.equal(checkWritable(join(dir, 'missing', 'x.yaml'), false), `${join(dir, 'missing', 'x.yaml')}: the directory ${join(dir, 'missing')} does not exist`);
  t.match(checkWritable(join(dir, 'exists.yaml', 'x.yaml'), false), /not a directory/);
  t.equal(checkWritable('', false), 'the output path is empty');
  t.match(checkWritable('/dev/null', true), /not a regular file/);
  // A directory this process cannot write to: read-only by mode, or (as root, whom modes do not stop) /proc/self.
  const ro = root ? '/proc/self' : join(dir, 'ro');
  if (!root) {
    mkdirSync(ro);
    chmodSync(ro, 0o555);
  }
  t.equal(checkWritable(join(ro, 'x.yaml'), false), `${join(ro, 'x.yaml')}: cannot write to ${ro}: permission denied`);
  if (!root) chmodSync(ro, 0o755);
});

t.test('writeAtomically: writes, replaces, keeps the mode, leaves no temporary file', async (t) => {
  const dir = t.testdir({});
  const p = join(dir, 'out.yaml');
  writeAtomically(p, 'one\n');
  t.equal(readFileSync(p, 'utf8'), 'one\n');
  chmodSync(p, 0o640);
  writeAtomically(p, 'two\n');
  t.equal(readFileSync(p, 'utf8'), 'two\n', 'replaced');
  t.equal(statSync(p).mode & 0o777, 0o640, 'the mode of the file it replaced');
  t.same(readdirSync(dir), ['out.yaml'], 'no temporary file left');
  const big = 'x'.repeat(3 * 1024 * 1024);
  writeAtomically(p, big);
  t.equal(readFileSync(p, 'utf8').length, big.length, 'large texts in full');
});

t.test('writeAtomically with noClobber: refuses a file that appeared meanwhile', async (t) => {
  const dir = t.testdir({ 'taken.yaml': 'theirs\n' });
  const p = join(dir, 'taken.yaml');
  t.throws(() => writeAtomically(p, 'mine\n', { noClobber: true }), { code: 'EEXIST', path: p });
  t.equal(readFileSync(p, 'utf8'), 'theirs\n', 'untouched');
  t.same(readdirSync(dir), ['taken.yaml'], 'no temporary file left');
  const q = join(dir, 'free.yaml');
  writeAtomically(q, 'mine\n', { noClobber: true });
  t.equal(readFileSync(q, 'utf8'), 'mine\n');
  t.same(readdirSync(dir).sort(), ['free.yaml', 'taken.yaml']);
});

t.test('writeAtomically: errors name the output, not the temporary file', async (t) => {
  const dir = t.testdir({});
  const p = join(dir, 'no', 'such', 'out.yaml');
  t.throws(() => writeAtomically(p, 'x'), { code: 'ENOENT', path: p });
  t.notOk(existsSync(join(dir, 'no')));
  const ro = root ? '/proc/self' : join(dir, 'ro');
  if (!root) {
    mkdirSync(ro);
    chmodSync(ro, 0o555);
  }
  t.throws(() => writeAtomically(join(ro, 'x.yaml'), 'x'), { code: root ? 'ENOENT' : 'EACCES', path: join(ro, 'x.yaml') });
  if (!root) chmodSync(ro, 0o755);
  writeFileSync(join(dir, 'file'), '');
  t.throws(() => writeAtomically(join(dir, 'file', 'x.yaml'), 'x'), { code: 'ENOTDIR', path: join(dir, 'file', 'x.yaml') });
});

t.test('writeAtomically: a FIFO is written to as it is, never replaced; a directory is EISDIR; mode forces the mode', async (t) => {
  const dir = t.testdir({ sub: {} });
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  // The reader is another process: the write below blocks this one until the FIFO has one.
  const cat = spawn('cat', [fifo]);
  const got = new Promise<string>((resolve) => {
    let text = '';
    cat.stdout.setEncoding('utf8').on('data', (c) => { text += c; }).on('end', () => resolve(text));
  });
  writeAtomically(fifo, 'through\n');
  t.equal(await got, 'through\n');
  t.ok(statSync(fifo).isFIFO(), 'still a FIFO');
  t.throws(() => writeAtomically(join(dir, 'sub'), 'x'), { code: 'EISDIR' });
  t.ok(statSync(join(dir, 'sub')).isDirectory(), 'the directory untouched');
  const page = join(dir, 'page.html');
  writeAtomically(page, 'p', { mode: 0o600 });
  t.equal(statSync(page).mode & 0o777, 0o600);
});
