// What the report's tests share: the built CLI run as a program, and logs made by the library
// that writes them (auditEvent, lambdaLogger), never by hand where the library can make them.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditEvent, type AuditEvent, type Reported } from '../../lib/audit/index.js';
import { cleanEnv, runProcess, type Ran } from '../helpers/spawn.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'syscage');
export const DEMO = join(ROOT, 'profiles', 'examples', 'demo.yaml');
export const BUILT = existsSync(join(ROOT, 'dist', 'bundle', 'cli', 'entry.js'));
export const NOT_BUILT = 'syscage is not built: run "npm run build" first';

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'syscage-report-'));

/** The built CLI, as a user runs it. */
export function syscage(args: readonly string[], o: { cwd?: string; input?: string; timeoutMs?: number; node?: readonly string[] } = {}): Promise<Ran> {
  return runProcess(process.execPath, [...(o.node ?? []), BIN, ...args], { cwd: o.cwd ?? ROOT, env: cleanEnv(), ...(o.input !== undefined ? { input: o.input } : {}), timeoutMs: o.timeoutMs ?? 60_000 });
}

/** A refused call as the supervisor reports it. */
export function reported(over: {
  pid?: number; ppid?: number; exe?: string; syscall?: string; path?: string; access?: string; argv?: string[]; address?: string; name?: string;
  action?: 'deny' | 'kill' | 'allow'; rule?: { what: string; text?: string; line?: number; file?: string };
} = {}): Reported {
  const r = over.rule ?? { what: 'files.deny', text: '/etc/shadow', line: 12 };
  return {
    trap: { tid: over.pid ?? 100, syscall: over.syscall ?? 'openat' },
    tracee: { pid: over.pid ?? 100, ppid: over.ppid ?? 1, exe: over.exe ?? '/usr/bin/cat' },
    enforced: true,
    decision: {
      action: over.action ?? 'deny',
      errno: 1,
      reason: `${over.syscall ?? 'openat'}: refused`,
      rule: { what: r.what, ...(r.text ? { text: r.text } : {}), loc: { file: r.file ?? 'profiles/examples/demo.yaml', line: r.line ?? 12, col: 10 } },
      detail: {
        ...(over.argv ? { exec: { path: over.path ?? over.argv[0]!, argv: over.argv }, access: 'exec' } : over.path !== undefined ? { paths: [over.path], access: over.access ?? 'read' } : {}),
        ...(over.address ? { address: over.address } : {}),
        ...(over.name ? { name: over.name } : {}),
      },
    },
  };
}

export function event(over: Parameters<typeof reported>[0] & { time?: number; requestId?: string; tier?: 'kernel' | 'runtime'; profile?: string } = {}): AuditEvent {
  return auditEvent(reported(over), over.time ?? Date.UTC(2026, 0, 2, 3, 4, 5), { profile: over.profile ?? 'demo', ...(over.requestId ? { requestId: over.requestId } : {}), tier: over.tier ?? 'kernel' });
}
