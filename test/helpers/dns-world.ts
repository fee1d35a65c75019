// Run the DNS test world (test/helpers/dns-world/world.mjs) from a test: a private network and
// mount namespace with a test DNS server on 127.0.0.53, TCP listeners on documentation addresses,
// and steps run inside it. worldAvailable() says why it cannot run here (not root, no unshare).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, runProcess } from './spawn.js';

/** One name's answers (see responder.mjs). */
export interface ZoneEntry {
  readonly ttl?: number;
  readonly A?: readonly string[];
  readonly AAAA?: readonly string[];
  readonly CNAME?: string;
  /** Over UDP: TC set and no records (the full answer only over TCP). */
  readonly tc?: boolean;
  /** Answer with this rcode ("SERVFAIL", 2...) and no records. */
  readonly rcode?: string | number;
  /** Do not answer at all. */
  readonly drop?: boolean;
}
export type Zone = Readonly<Record<string, ZoneEntry>>;

export type WorldStep =
  /** background: the next steps start at once; its result is waited for at the end. */
  | { readonly run: readonly string[]; readonly env?: Readonly<Record<string, string>>; readonly timeoutMs?: number; readonly background?: boolean }
  | { readonly flip: { readonly name: string } & ZoneEntry }
  | { readonly sleepMs: number }
  /** Wait until a file exists (a background run creates it), at most timeoutMs. */
  | { readonly waitFile: string; readonly timeoutMs?: number };

export interface WorldConfig {
  readonly zone: Zone;
  readonly steps: readonly WorldStep[];
  /** Added to lo ("192.0.2.10/32", "2001:db8::10/128"); the listeners' hosts are added anyway. */
  readonly addresses?: readonly string[];
  /** TCP listeners ("192.0.2.10:8443", "[2001:db8::10]:8443") that write "hello\n" and close. */
  readonly listeners?: readonly string[];
  /** resolv.conf options ("timeout:1", "attempts:1", "use-vc"...). */
  readonly resolvOptions?: readonly string[];
  /** Extra /etc/hosts lines ("192.0.2.99 pinned.test"). */
  readonly hosts?: readonly string[];
}

/** The outcome of config.steps[i] (flip and sleep steps: argv [], code 0, no output). */
export interface StepResult {
  readonly kind: 'run' | 'flip' | 'sleep' | 'wait';
  readonly argv: readonly string[];
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  readonly timedOut?: boolean;
  /** The spawn failed (e.g. the program is not there). */
  readonly error?: string;
}

/** One query the test DNS server received. */
export interface QueryLine {
  readonly proto: 'udp' | 'tcp';
  /** Lower-cased; `asked` keeps the case it came in. */
  readonly name: string;
  readonly asked: string;
  /** "A", "AAAA", "HTTPS"... or "TYPEn". */
  readonly type: string;
  /** "127.0.0.1:40000". */
  readonly from: string;
  readonly rcode?: string;
  readonly tc?: boolean;
  readonly answers?: number;
  readonly dropped?: boolean;
  /** Not readable as a query. */
  readonly bad?: boolean;
  readonly at: number;
}

/** One connection a listener accepted. */
export interface AcceptedLine { readonly listener: string; readonly peer: string; readonly at: number }

export interface WorldResult {
  readonly steps: readonly StepResult[];
  readonly queries: readonly QueryLine[];
  readonly accepted: readonly AcceptedLine[];
  /** Wall time of the whole world, ms. */
  readonly ms: number;
}

/** The world script; run it as `unshare --net --mount --propagation private node WORLD_SCRIPT CONFIG.json`. */
export const WORLD_SCRIPT = fileURLToPath(new URL('./dns-world/world.mjs', import.meta.url));
const UNSHARE = ['--net', '--mount', '--propagation', 'private'];

let availability: { readonly reason: string | undefined } | undefined;

/** undefined when the world can run here, else the reason it cannot (to skip with). */
export function worldAvailable(): string | undefined {
  if (availability === undefined) {
    const r = spawnSync('unshare', [...UNSHARE, 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8', timeout: 10_000 });
    const why = r.error?.message ?? r.stderr?.trim().split('\n').pop() ?? `exit status ${r.status}`;
    availability = { reason: r.status === 0 ? undefined : `unshare --net --mount is not possible here (it needs root and the ip command): ${why}` };
  }
  return availability.reason;
}

/** Run a world to its end and return what it recorded. Throws if the world could not be set up. */
export async function runWorld(config: WorldConfig, opts: { readonly timeoutMs?: number } = {}): Promise<WorldResult> {
  const dir = mkdtempSync(join(tmpdir(), 'dns-world-config-'));
  try {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(config));
    const stepTime = config.steps.reduce((ms, s) => ms + ('run' in s ? s.timeoutMs ?? 30_000 : 'sleepMs' in s ? s.sleepMs : 0), 0);
    const ran = await runProcess('unshare', [...UNSHARE, process.execPath, WORLD_SCRIPT, file], { env: cleanEnv(), timeoutMs: opts.timeoutMs ?? stepTime + 30_000 });
    if (ran.status !== 0) throw new Error(`the DNS world failed (${ran.timedOut ? 'timed out' : `status ${ran.status}, signal ${ran.signal}`}): ${ran.stderr.trim()}`);
    return { ...(JSON.parse(ran.stdout) as Omit<WorldResult, 'ms'>), ms: Math.round(ran.ms) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The JSON lines of a step's output (a client's results, syscage's events), other lines left out. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const jsonLines = (text: string): Record<string, any>[] => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
