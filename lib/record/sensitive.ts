// What a recorded profile should not grant without a human looking at it:
// credentials, other processes' memory, the container runtime's socket, the
// cloud metadata service. A recording grants whatever the command did, so it
// cannot refuse these; it says so (a warning on stderr and a `# WARNING:`
// comment next to the entry), and directory generalisation never widens a
// grant into or over one of these places (see generalise.ts).
import { compileGlobs } from '../profile/glob.js';

/** Home directories: "~" in the table below stands for each of them. */
const HOMES = ['/root', '/home/*'] as const;

interface Place {
  /** Globs (v1 syntax, "~/" expanded to every home). */
  readonly globs: readonly string[];
  readonly why: string;
  /**
   * 'secret': never generalised into or over (no DIR/** at, above or below it).
   * 'home': never generalised over (no DIR/** at or above it); below is fine.
   */
  readonly kind: 'secret' | 'home';
}

const home = (rest: string): string[] => HOMES.map((h) => `${h}/${rest}`);

const PLACES: readonly Place[] = [
  { globs: home('.ssh/**'), why: 'SSH keys', kind: 'secret' },
  { globs: home('.aws/**'), why: 'AWS credentials', kind: 'secret' },
  { globs: home('.config/gcloud/**'), why: 'Google Cloud credentials', kind: 'secret' },
  { globs: home('.azure/**'), why: 'Azure credentials', kind: 'secret' },
  { globs: home('.docker/**'), why: 'Docker registry credentials', kind: 'secret' },
  { globs: home('.kube/**'), why: 'Kubernetes credentials', kind: 'secret' },
  { globs: home('.gnupg/**'), why: 'GnuPG keys', kind: 'secret' },
  { globs: home('.config/gh/**'), why: 'GitHub CLI token', kind: 'secret' },
  { globs: [...home('.netrc'), ...home('.git-credentials'), ...home('.npmrc'), ...home('.pypirc')], why: 'stored passwords or tokens', kind: 'secret' },
  { globs: ['/etc/shadow', '/etc/shadow-', '/etc/gshadow', '/etc/gshadow-'], why: 'password hashes', kind: 'secret' },
  { globs: ['/etc/sudoers', '/etc/sudoers.d/**'], why: 'sudo configuration', kind: 'secret' },
  { globs: ['/etc/ssh/ssh_host_*'], why: 'SSH host keys', kind: 'secret' },
  { globs: ['/etc/ssl/private/**'], why: 'TLS private keys', kind: 'secret' },
  { globs: ['/proc/kcore', '/dev/mem', '/dev/kmem', '/dev/port'], why: 'kernel or physical memory', kind: 'secret' },
  {
    globs: ['/var/run/docker.sock', '/run/docker.sock', '/run/containerd/**', '/var/run/containerd/**', '/run/podman/**', '/var/run/podman/**'],
    why: 'the container runtime (root on the host)', kind: 'secret',
  },
  { globs: ['/var/run/secrets/**', '/run/secrets/**'], why: 'mounted secrets (service account tokens)', kind: 'secret' },
  { globs: ['/root/**'], why: "root's home directory", kind: 'home' },
];

/** Another process's memory or environment: /proc/N/mem, /proc/N/environ (and per thread). */
const OTHER_PROCESS = /^\/proc\/(?:\d+|\*)\/(?:task\/(?:\d+|\*)\/)?(mem|environ)$/;

const compiled = PLACES.map((p) => ({ ...p, re: compileGlobs(p.globs) }));

/** Why granting `path` deserves a warning, or undefined. */
export function sensitivePath(path: string): string | undefined {
  const m = OTHER_PROCESS.exec(path);
  if (m) return m[1] === 'mem' ? "another process's memory" : "another process's environment (its secrets)";
  return compiled.find((p) => p.re.test(path))?.why;
}

/** Writes that change the system itself. */
const SYSTEM = /^\/(?:etc|usr|bin|sbin|lib|lib32|lib64|libx32|boot)(?:\/|$)/;

/** Why a write grant of `path` deserves a warning (sensitivePath, or a system file), or undefined. */
export function sensitiveWrite(path: string): string | undefined {
  return sensitivePath(path) ?? (SYSTEM.test(path) ? 'a system file' : undefined);
}

const segments = (p: string): string[] => (p === '/' ? [] : p.slice(1).split('/'));

const wild = (s: string): boolean => s.includes('*') || s.includes('?');

/** Could glob segments `a` and `b` match a common name? (Conservative: yes when unsure.) */
function segmentsMeet(a: string, b: string): boolean {
  if (a === '**' || b === '**') return true;
  if (!wild(a) && !wild(b)) return a === b;
  if (!wild(b)) return compileGlobs(['/' + a]).test('/' + b);
  if (!wild(a)) return compileGlobs(['/' + b]).test('/' + a);
  // Two patterns: their literal heads and tails must agree.
  const head = (s: string) => s.slice(0, s.search(/[*?]/));
  const tail = (s: string) => s.slice(Math.max(s.lastIndexOf('*'), s.lastIndexOf('?')) + 1);
  const [ha, hb, ta, tb] = [head(a), head(b), tail(a), tail(b)];
  return (ha.startsWith(hb) || hb.startsWith(ha)) && (ta.endsWith(tb) || tb.endsWith(ta));
}

/**
 * May `DIR/**` be granted as a generalisation? Not when DIR is a sensitive
 * place, lies inside a secret one, or contains one (~ → /home/alice is over
 * ~/.ssh). A conservative test on glob segments.
 */
export function mayGeneraliseTo(dir: string): boolean {
  const d = segments(dir);
  for (const p of compiled) {
    for (const g of p.globs) {
      const s = segments(g.endsWith('/**') ? g.slice(0, -3) : g);
      const n = Math.min(d.length, s.length);
      let meet = true;
      for (let i = 0; i < n && meet; i++) meet = segmentsMeet(d[i]!, s[i]!);
      if (!meet) continue;
      // DIR at or above the place: DIR/** would cover it.
      if (d.length <= s.length) return false;
      // DIR below the place: only secrets forbid it.
      if (p.kind === 'secret') return false;
    }
  }
  // Not another process's /proc directory (nor its task/ or task/N/): that covers its mem and environ.
  return !/^\/proc\/(?:\d+|\*)(?:\/task(?:\/(?:\d+|\*))?)?$/.test(dir);
}

const PRIVILEGE = new Set(['sudo', 'su', 'pkexec', 'doas', 'newgrp', 'chsh', 'passwd']);

/** Why allowing a program deserves a warning, or undefined. */
export function sensitiveProgram(path: string): string | undefined {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return PRIVILEGE.has(base) ? 'a privilege-changing program' : sensitivePath(path);
}

/** Key agents' sockets: connecting to one uses the keys it holds. */
const AGENTS = compileGlobs(['/tmp/ssh-*/agent.*', '/run/user/*/gnupg/**', '/run/user/*/keyring/**', '/run/user/*/ssh-agent*', '/run/user/*/gcr/ssh']);

/** The cloud metadata services hand out the machine's credentials. */
const METADATA: readonly string[] = ['169.254.169.254', '169.254.170.2', '[fd00:ec2::254]'];

/** Why allowing a destination deserves a warning, or undefined. */
export function sensitiveAddress(text: string): string | undefined {
  if (text.startsWith('unix:@')) return undefined;
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    return sensitivePath(path) ?? (AGENTS.test(path) ? "a key agent (it signs with the user's keys)" : undefined);
  }
  const host = text.slice(0, text.lastIndexOf(':'));
  return METADATA.includes(host) ? "the cloud metadata service (the machine's credentials)" : undefined;
}
