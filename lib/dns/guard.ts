// Putting syscage's resolver in a run's path (kernel tier): its forwarder on a
// loopback address, the sandbox's resolv.conf naming it (stage-2 binds that
// file over /etc/resolv.conf in a private mount namespace), and the log that
// carries the bindings it learns to the tracer thread.
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Address, Located, Profile } from '../profile/types.js';
import { BindingLog } from './bindings.js';
import { atLastWords } from '../last-words.js';
import { startForwarder, type Forwarder } from './forwarder.js';
import { parseIP } from '../profile/address.js';
import { readResolvConf, sandboxResolvConf, type ResolvConf } from './resolv-conf.js';

/** A question the resolver judged (for record and for the run's summary). */
export interface Question {
  readonly name: string;
  readonly type: number;
  readonly allowed: boolean;
}

export interface NameGuard {
  /** The file stage-2 binds over /etc/resolv.conf. */
  readonly resolvConf: string;
  /** The resolver's address ("127.x.y.z"). */
  readonly server: string;
  /** The real name servers it asks. */
  readonly upstreams: readonly string[];
  /** The bindings it learned, for the tracer thread (BindingLog over this buffer). */
  readonly log: SharedArrayBuffer;
  /** Names asked so far, each once (the most recent answer to "allowed?"). */
  readonly questions: ReadonlyMap<string, Question>;
  close(): Promise<void>;
}

/** The profile's host rules, if it has any: then lookups are governed. */
export function hostRules(profile: Profile): readonly Located<Address & { kind: 'host' }>[] {
  return (profile.network?.connect ?? []).filter((e): e is Located<Address & { kind: 'host' }> => e.value.kind === 'host');
}

export interface GuardOptions {
  /** The system's resolv.conf (read from /etc/resolv.conf by default). */
  readonly conf?: ResolvConf;
  /** Upstream port (53; another in tests). */
  readonly upstreamPort?: number;
  /** The resolver's address (default: a random one in 127.0.0.0/8, retried when taken). */
  readonly address?: string;
  /** Answer every name (a recording: it learns which names the command uses, and refuses none). */
  readonly allowAll?: boolean;
}

/** Start the resolver for a profile that names hosts. */
export async function startNameGuard(profile: Profile, o: GuardOptions = {}): Promise<NameGuard> {
  const rules = hostRules(profile).map((r) => r.value.match);
  const conf = o.conf ?? readResolvConf();
  const log = new BindingLog(4096);
  const questions = new Map<string, Question>();
  const options = {
    port: 53,
    upstreams: conf.nameservers,
    upstreamPort: o.upstreamPort,
    allowed: (name: string) => !!o.allowAll || rules.some((re) => re.test(name)),
    bind: (name: string, addresses: readonly { address: string; family: 4 | 6; ttl: number }[]) => {
      const now = Date.now();
      for (const a of addresses) {
        const ip = parseIP(a.address);
        if (ip) log.write(name, ip, a.ttl, now);
      }
    },
    onQuestion: (q: Question) => {
      questions.delete(q.name);
      questions.set(q.name, { name: q.name, type: q.type, allowed: q.allowed });
      if (questions.size > 10_000) questions.delete(questions.keys().next().value!);
    },
  };
  let forwarder: Forwarder | undefined;
  for (let attempt = 0; !forwarder; attempt++) {
    const address = o.address ?? `127.${1 + rand(254)}.${rand(256)}.${1 + rand(254)}`;
    try {
      forwarder = await startForwarder({ ...options, address });
    } catch (e) {
      if (o.address || attempt >= 8 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'syscage-dns-'));
  const resolvConf = join(dir, 'resolv.conf');
  writeFileSync(resolvConf, sandboxResolvConf(conf, forwarder.address));
  // The command may run as another user: it must be able to read the file (and reach it).
  chmodSync(dir, 0o755);
  chmodSync(resolvConf, 0o644);
  const running = forwarder;
  // However syscage ends (short of SIGKILL), the file goes with it.
  const forget = atLastWords(() => rmSync(dir, { recursive: true, force: true }));
  return {
    resolvConf,
    server: running.address,
    upstreams: conf.nameservers,
    log: log.buffer,
    questions,
    close: async () => {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
      forget();
    },
  };
}

const rand = (n: number): number => Math.floor(Math.random() * n);
