// Writing a profile file: checked before any work is done (a recording
// that cannot be saved should not run), then written atomically so that a
// crash or a full disk never leaves half a profile where a profile was.
import { randomBytes } from 'node:crypto';
import {
  accessSync, closeSync, constants, fsyncSync, linkSync, openSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

const why = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'EROFS': return 'read-only file system';
    case 'ENOENT': return 'no such file or directory';
    case 'ENOTDIR': return 'not a directory';
    default: return err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  }
};

/**
 * Why `path` cannot be written as an output, or undefined when it can: an
 * existing file without `force`, something that is not a regular file, a
 * directory that is missing, not a directory, or not writable.
 */
export function checkWritable(path: string, force: boolean): string | undefined {
  if (path === '') return 'the output path is empty';
  const full = resolve(path);
  let st;
  try {
    st = statSync(full);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return `${path}: cannot write there: ${why(e)}`;
  }
  if (st) {
    if (st.isDirectory()) return `${path} is a directory; give a file name`;
    if (!st.isFile()) return `${path} exists and is not a regular file`;
    if (!force) return `${path} already exists; use --force to overwrite it`;
  }
  const dir = dirname(full);
  let d;
  try {
    d = statSync(dir);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT'
      ? `${path}: the directory ${dirname(path)} does not exist`
      : `${path}: cannot write to ${dirname(path)}: ${why(e)}`;
  }
  if (!d.isDirectory()) return `${path}: ${dirname(path)} is not a directory`;
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    return `${path}: cannot write to ${dirname(path)}: ${why(e)}`;
  }
  return undefined;
}

export interface WriteAtomicallyOptions {
  /**
   * Refuse to replace a file that exists by the time of writing (EEXIST),
   * atomically: the file is linked into place rather than renamed over.
   * Default false: replace it.
   */
  readonly noClobber?: boolean;
  /** The file's mode, whatever it was (e.g. 0600 for a page that holds argv and paths). Default: an existing file's, else 0666 less the umask. */
  readonly mode?: number;
}

/**
 * Write `text` to `path` as one step: a temporary file in the same
 * directory, fsync, then rename over `path` (or link to it, noClobber), and
 * fsync the directory. Keeps an existing file's permissions. Throws the
 * filesystem's error (with .path) when it cannot; the temporary file is
 * removed then. Something there that is not a regular file (a device such as
 * /dev/null or /dev/stdout, a FIFO) is written to as it is: a rename would
 * replace it with a file (as root, `report -o /dev/null` once replaced the
 * machine's /dev/null); a directory is EISDIR.
 */
export function writeAtomically(path: string, text: string, opts: WriteAtomicallyOptions = {}): void {
  const full = resolve(path);
  const dir = dirname(full);
  let st;
  try {
    st = statSync(full);
  } catch {
    // a new file: 0666 less the umask
  }
  if (st?.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${path}'`), { code: 'EISDIR', syscall: 'open', path });
  if (st && !st.isFile()) {
    writeFileSync(full, text);
    return;
  }
  const mode = opts.mode ?? (st ? st.mode & 0o7777 : 0o666);
  const tmp = join(dir, `.${basename(full)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', mode);
  } catch (e) {
    throw asOutputError(e, path);
  }
  let placed = false;
  try {
    try {
      const buf = Buffer.from(text, 'utf8');
      for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (opts.noClobber) {
      try {
        linkSync(tmp, full);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw Object.assign(new Error(`EEXIST: ${path} already exists`), { code, path, syscall: 'link' });
        // A filesystem without hard links: check, then rename (no longer atomic against a racing writer).
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw e;
        let exists = true;
        try {
          statSync(full);
        } catch {
          exists = false;
        }
        if (exists) throw Object.assign(new Error(`EEXIST: ${path} already exists`), { code: 'EEXIST', path, syscall: 'rename' });
        renameSync(tmp, full);
        placed = true;
      }
    } else {
      renameSync(tmp, full);
      placed = true;
    }
  } catch (e) {
    throw asOutputError(e, path);
  } finally {
    if (!placed) {
      try {
        unlinkSync(tmp);
      } catch {
        // already gone
      }
    }
  }
  syncDir(dir);
}

/** An error about the temporary file, told about the output path instead. */
function asOutputError(e: unknown, path: string): Error {
  const err = e as NodeJS.ErrnoException;
  if (!err?.code || err.path === path) return err;
  return Object.assign(new Error(`${err.code}: ${why(err)}`), { code: err.code, path, syscall: err.syscall });
}

/** fsync a directory so the rename itself is durable; some filesystems refuse, which is fine. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // EINVAL/EISDIR on filesystems that cannot sync directories
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
