// Where the page goes and what it hides: written 0600 (it holds argv and paths), `-o -` to
// stdout (no file named '-'), and zero-width characters and direction marks made visible.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { esc } from '../../lib/report/index.js';
import { visible } from '../../lib/report/escape.js';
import { BUILT, NOT_BUILT, event, syscage, tempDir } from './helpers.js';

t.test('zero-width characters and direction marks are made visible', async (t) => {
  for (const [c, shown] of [['\u200b', '\\u{200b}'], ['\u200c', '\\u{200c}'], ['\u200d', '\\u{200d}'], ['\u200e', '\\u{200e}'], ['\u200f', '\\u{200f}'], ['\u061c', '\\u{61c}'], ['\u2060', '\\u{2060}']] as const) {
    t.equal(visible(`/etc/${c}shadow`), `/etc/${shown}shadow`, `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
  }
  t.equal(esc('/tmp/é😀'), '/tmp/é😀', 'ordinary characters stay');
});

t.test('the page is written 0600; -o - writes it to stdout', { skip: !BUILT && NOT_BUILT }, async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'x.log');
  writeFileSync(log, JSON.stringify(event({ argv: ['/usr/bin/curl', '--token', 'secret'] })) + '\n');
  const out = join(dir, 'r.html');
  const r = await syscage(['report', log, '-o', out]);
  t.equal(r.status, 0, 'exit 0', { stderr: r.stderr });
  t.equal(statSync(out).mode & 0o777, 0o600, 'mode 0600');
  const s = await syscage(['report', log, '-o', '-'], { cwd: dir });
  t.equal(s.status, 0, 'exit 0', { stderr: s.stderr });
  t.match(s.stdout, /^<!DOCTYPE html>[\s\S]*--token[\s\S]*<\/html>\n$/, 'the page on stdout');
  t.equal(s.stdout, readFileSync(out, 'utf8').replace(/Generated [^ ]+/, (m) => /Generated [^ ]+/.exec(s.stdout)![0]), 'the same page');
  t.notOk(existsSync(join(dir, '-')), 'no file named -');
  t.match(s.stderr, /syscage: wrote stdout: 1 event, 1 invocation, 0 bad lines\n$/);
});

t.test('-o to something that is not a regular file writes to it, never replaces it', { skip: !BUILT && NOT_BUILT }, async (t) => {
  // As root, a rename onto -o /dev/null replaced the machine's /dev/null with a file: a FIFO stands
  // in for any such target here (a test must not risk /dev/null itself).
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'x.log');
  writeFileSync(log, JSON.stringify(event({})) + '\n');
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const got = new Promise<string>((resolve) => {
    let text = '';
    createReadStream(fifo, 'utf8').on('data', (c) => { text += c; }).on('end', () => resolve(text));
  });
  const r = await syscage(['report', log, '-o', fifo]);
  t.equal(r.status, 0, 'exit 0', { stderr: r.stderr });
  t.match(await got, /^<!DOCTYPE html>[\s\S]*<\/html>\n$/, 'the page went through the FIFO');
  t.ok(statSync(fifo).isFIFO(), 'which is still a FIFO');
  const d = await syscage(['report', log, '-o', dir]);
  t.equal(d.status, 2, 'a directory: exit 2');
  t.match(d.stderr, /^syscage: [^\n]*EISDIR|illegal operation on a directory[^\n]*\n$/, 'one line');
  t.ok(statSync(dir).isDirectory(), 'the directory untouched');
});
