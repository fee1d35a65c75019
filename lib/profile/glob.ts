// Path globs of the files and exec sections.
//
//   *   any characters within one path segment
//   **  a whole segment: any number of segments, zero included
//   ?   one character other than /
//
// Globs are absolute and are compared with absolute, normalised paths (no
// ".", "..", "//"), so a glob that contains those could never match and is
// refused. A trailing "/**" also matches the directory itself, so that
// "/var/task/**" lets the handler list /var/task. Character classes and
// braces are not part of v1 and are refused rather than taken literally.

/** What is wrong, from `offset` in the glob for `length` characters (default: to the end). */
export interface GlobError { readonly message: string; readonly offset: number; readonly length?: number }

export function checkGlob(glob: string): GlobError | undefined {
  if (!glob.startsWith('/')) return { message: 'must be an absolute path (start with /)', offset: 0 };
  const bad = /[\0\\[\]{}]/.exec(glob);
  if (bad) {
    const what = bad[0] === '\0' ? 'a NUL byte' : `"${bad[0]}"`;
    return { message: `${what} is not allowed in a v1 glob (no escapes, classes or braces)`, offset: bad.index, length: 1 };
  }
  if (glob === '/') return undefined;
  const body = glob.endsWith('/') ? glob.slice(0, -1) : glob;
  let offset = 1;
  for (const seg of body.slice(1).split('/')) {
    if (seg === '') return { message: 'has an empty path segment ("//")', offset: offset - 1, length: 2 };
    if (seg === '.' || seg === '..') return { message: `has a "${seg}" segment; paths are compared after normalisation, so it never matches`, offset, length: seg.length };
    if (seg.includes('**') && seg !== '**') return { message: '"**" must be a whole path segment (use "*" within a segment)', offset: offset + seg.indexOf('**'), length: 2 };
    offset += seg.length + 1;
  }
  return undefined;
}

const escape = (s: string): string => s.replace(/[.+^${}()|[\]\\]/g, '\\$&');

/** The regular expression source for a glob that checkGlob accepted. */
export function globSource(glob: string): string {
  if (glob === '/') return '/';
  const segs = (glob.endsWith('/') ? glob.slice(0, -1) : glob).slice(1).split('/');
  let re = '';
  segs.forEach((seg, i) => {
    if (seg === '**') {
      re += i === segs.length - 1 ? '(?:/.*)?' : '(?:/[^/]+)*';
    } else {
      re += '/' + seg.split('').map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : escape(c))).join('');
    }
  });
  return re;
}

/** One RegExp that matches any of the globs (a profile list compiles to one test). */
export function compileGlobs(globs: readonly string[]): RegExp {
  if (globs.length === 0) return /(?!)/;
  return new RegExp(`^(?:${globs.map(globSource).join('|')})$`, 's');
}

/** Lexically normalise an absolute path: collapse "//", resolve "." and "..". */
export function normalizePath(path: string): string {
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return '/' + out.join('/');
}
