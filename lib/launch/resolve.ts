// Finding the program to run, as a shell would, before anything is started:
// a name without "/" is searched in PATH; the answer is an absolute path, or
// the shell's exit status and message (127 not found, 126 not executable).
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export type Resolved = { readonly path: string } | { readonly status: 126 | 127; readonly message: string };

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export function resolveCommand(cmd: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Resolved {
  if (cmd === '') return { status: 127, message: 'empty command' };
  if (cmd.includes('/')) {
    const p = isAbsolute(cmd) ? cmd : resolve(cwd, cmd);
    try {
      const st = statSync(p);
      if (st.isDirectory()) return { status: 126, message: `${cmd}: is a directory` };
    } catch {
      return { status: 127, message: `${cmd}: no such file or directory` };
    }
    return executable(p) ? { path: p } : { status: 126, message: `${cmd}: permission denied` };
  }
  let found: string | undefined;
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const p = resolve(cwd, join(dir || '.', cmd));
    if (executable(p)) return { path: p };
    try {
      if (statSync(p).isFile()) found ??= p;
    } catch {
      // not there
    }
  }
  return found ? { status: 126, message: `${cmd}: permission denied` } : { status: 127, message: `${cmd}: command not found` };
}
