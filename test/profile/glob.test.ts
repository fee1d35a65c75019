import t from 'tap';
import { checkGlob, compileGlobs, normalizePath } from '../../lib/profile/glob.js';

t.test('glob matching', async (t) => {
  const cases: [string, string, boolean][] = [
    ['/etc/passwd', '/etc/passwd', true],
    ['/etc/passwd', '/etc/passwdx', false],
    ['/etc/*', '/etc/passwd', true],
    ['/etc/*', '/etc/ssl/certs', false],
    ['/etc/*', '/etc', false],
    ['/etc/**', '/etc', true],
    ['/etc/**', '/etc/ssl/certs/ca.pem', true],
    ['/etc/**', '/etcetera', false],
    ['/var/**/x.js', '/var/x.js', true],
    ['/var/**/x.js', '/var/a/b/x.js', true],
    ['/var/**/x.js', '/var/a/b/y.js', false],
    ['/tmp/tmp.??????', '/tmp/tmp.AbC123', true],
    ['/tmp/tmp.??????', '/tmp/tmp.AbC12', false],
    ['/tmp/*.sock', '/tmp/a/b.sock', false],
    ['/**', '/', true],
    ['/**', '/anything/at/all', true],
    ['/', '/', true],
    ['/', '/etc', false],
    ['/a.b+c(d)', '/a.b+c(d)', true],
    ['/a.b', '/aXb', false],
    ['/home/*/.aws/**', '/home/u/.aws/credentials', true],
    ['/opt/', '/opt', true],
  ];
  for (const [glob, path, want] of cases) {
    t.equal(checkGlob(glob), undefined, `${glob} is valid`);
    t.equal(compileGlobs([glob]).test(path), want, `${glob} ${want ? 'matches' : 'does not match'} ${path}`);
  }
  t.equal(compileGlobs([]).test('/x'), false, 'an empty list matches nothing');
  t.equal(compileGlobs(['/a/**', '/b']).test('/b'), true, 'a list matches any member');
});

t.test('bad globs', async (t) => {
  const bad: [string, number, RegExp][] = [
    ['etc/passwd', 0, /absolute/],
    ['/etc//passwd', 4, /empty path segment/],
    ['/var/../etc', 5, /"\.\." segment/],
    ['/var/./x', 5, /"\." segment/],
    ['/var/a**', 6, /whole path segment/],
    ['/var/***', 5, /whole path segment/],
    ['/var/[ab]', 5, /not allowed/],
    ['/var/{a,b}', 5, /not allowed/],
    ['/var/a\\*', 6, /not allowed/],
  ];
  for (const [glob, offset, msg] of bad) {
    const e = checkGlob(glob);
    t.match(e?.message, msg, `${glob}: ${e?.message}`);
    t.equal(e?.offset, offset, `${glob}: points at offset ${offset}`);
  }
});

t.test('normalizePath', async (t) => {
  t.equal(normalizePath('/a/b/../c'), '/a/c');
  t.equal(normalizePath('/../../etc//passwd'), '/etc/passwd');
  t.equal(normalizePath('/a/./b/'), '/a/b');
  t.equal(normalizePath('/'), '/');
});
