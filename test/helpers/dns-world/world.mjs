// A DNS test world in a network and mount namespace of its own. Run it as root:
//   unshare --net --mount --propagation private node world.mjs CONFIG.json
// It brings lo up with the config's documentation addresses, serves the config's zone on
// 127.0.0.53:53 (UDP and TCP, responder.mjs), opens TCP listeners that greet each connection with
// "hello\n", bind-mounts its own /etc/resolv.conf, /etc/hosts and /etc/nsswitch.conf (hosts:
// files dns) and hides any nscd socket, runs the steps, and prints one JSON document:
// { steps: [...], queries: [...], accepted: [...] }, steps[i] being the outcome of config.steps[i].
// Exit status 0, or 1 with a one-line reason on stderr if the world could not be set up. The
// namespaces, and so the addresses, mounts and servers, go when it exits.
//
// CONFIG: {
//   "zone": { "allowed.test": { "ttl": 5, "A": ["192.0.2.10"] }, ... }      (see responder.mjs)
//   "addresses"?: ["192.0.2.10/32", "2001:db8::10/128"]    added to lo (listeners' hosts are added too)
//   "listeners"?: ["192.0.2.10:8443", "[2001:db8::10]:8443"]
//   "resolvOptions"?: ["timeout:1", "attempts:1"]           an "options" line in resolv.conf
//   "hosts"?: ["192.0.2.99 pinned.test"]                     lines after "127.0.0.1 localhost"
//   "steps": [ { "run": ["getent", "ahosts", "allowed.test"], "env"?: {...}, "timeoutMs"?: 30000, "background"?: true },
//              { "flip": { "name": "flip.test", "A": ["192.0.2.11"], "ttl": 1 } },
//              { "sleepMs": 1000 } ] }
import { spawn, execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, isIPv6 } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startResponder } from './responder.mjs';

const NAMESERVER = '127.0.0.53';
const DEFAULT_TIMEOUT_MS = 30_000;

class SetupError extends Error {}

// --- setting up -------------------------------------------------------------------------------

/** Refuse to touch /etc unless this process has a network and mount namespace apart from its parent's. */
function checkNamespaces() {
  for (const ns of ['net', 'mnt']) {
    let mine;
    let parents;
    try {
      mine = readlinkSync(`/proc/self/ns/${ns}`);
      parents = readlinkSync(`/proc/${process.ppid}/ns/${ns}`);
    } catch (err) {
      throw new SetupError(`cannot compare ${ns} namespaces with the parent's: ${err.message}`);
    }
    if (mine === parents) throw new SetupError(`not in a ${ns} namespace of its own: run it under unshare --net --mount --propagation private`);
  }
}

function sh(file, args) {
  try {
    execFileSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const why = err.stderr?.toString().trim() || err.message;
    throw new SetupError(`${file} ${args.join(' ')}: ${why}`);
  }
}

/** "192.0.2.10:8443" or "[2001:db8::10]:8443" → { host, port }. */
function splitHostPort(text) {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (m === null) throw new SetupError(`a listener is not HOST:PORT or [HOST]:PORT: ${text}`);
  return { host: m[1], port: Number(m[2]) };
}

function addressesOf(config) {
  const listed = config.addresses ?? [];
  const fromListeners = (config.listeners ?? []).map((l) => splitHostPort(l).host).map((h) => (isIPv6(h) ? `${h}/128` : `${h}/32`));
  return [...new Set([...listed, ...fromListeners])];
}

function bringUpLoopback(addresses) {
  sh('ip', ['link', 'set', 'lo', 'up']);
  for (const a of addresses) {
    if (a.startsWith('127.') || a === '::1/128') continue;
    sh('ip', a.includes(':') ? ['-6', 'addr', 'add', a, 'dev', 'lo', 'nodad'] : ['addr', 'add', a, 'dev', 'lo']);
  }
}

/** Write resolv.conf and hosts into dir and bind-mount them over /etc's (noted in `mounted`). */
function mountEtc(dir, config, mounted) {
  const options = config.resolvOptions?.length ? `options ${config.resolvOptions.join(' ')}\n` : '';
  writeFileSync(join(dir, 'resolv.conf'), `nameserver ${NAMESERVER}\n${options}`);
  writeFileSync(join(dir, 'hosts'), ['127.0.0.1 localhost', ...(config.hosts ?? [])].join('\n') + '\n');
  const files = ['resolv.conf', 'hosts'];
  if (existsSync('/etc/nsswitch.conf')) {
    writeFileSync(join(dir, 'nsswitch.conf'), nsswitch(readFileSync('/etc/nsswitch.conf', 'utf8')));
    files.push('nsswitch.conf');
  }
  for (const f of files) {
    sh('mount', ['--bind', join(dir, f), `/etc/${f}`]);
    mounted.push(`/etc/${f}`);
  }
  for (const d of ['/run/nscd', '/var/run/nscd'].filter((d) => existsSync(d))) {
    sh('mount', ['-t', 'tmpfs', 'none', d]); // no name-service cache: every lookup reaches the responder
    mounted.push(d);
  }
}

/** nsswitch.conf with hosts looked up in files then DNS only (no systemd-resolved, mdns, myhostname). */
function nsswitch(text) {
  const lines = text.split('\n').filter((l) => !/^\s*hosts\s*:/.test(l));
  return [...lines, 'hosts: files dns', ''].join('\n');
}

/** A TCP listener that logs each connection and says "hello\n" to it. */
function startListener(text, logFile) {
  const { host, port } = splitHostPort(text);
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    const peer = isIPv6(socket.remoteAddress ?? '') ? `[${socket.remoteAddress}]:${socket.remotePort}` : `${socket.remoteAddress}:${socket.remotePort}`;
    appendFileSync(logFile, `${JSON.stringify({ listener: text, peer, at: Date.now() })}\n`);
    socket.end('hello\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new SetupError(`listener ${text}: ${err.message}`)));
    server.listen(port, host, () => resolve(server));
  });
}

// --- steps ------------------------------------------------------------------------------------

const quiet = (kind, extra, ms) => ({ kind, ...extra, argv: [], code: 0, signal: null, stdout: '', stderr: '', ms });

/** Spawn one program, capture its output, kill it (SIGKILL) after timeoutMs. */
function runStep(step) {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(step.run[0], step.run.slice(1), { env: { ...process.env, ...step.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let error;
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, step.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on('error', (err) => { error = err.message; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Math.round(performance.now() - t0);
      resolve({ kind: 'run', argv: step.run, code: error === undefined ? code : null, signal, stdout, stderr, ms, timedOut, ...(error === undefined ? {} : { error }) });
    });
  });
}

async function runSteps(steps, responder, zone) {
  const results = [];
  for (const step of steps) {
    const t0 = performance.now();
    const ms = () => Math.round(performance.now() - t0);
    // A background run goes on while the next steps run (a flip while a client is connected);
    // its result is waited for at the end.
    if (step.run !== undefined && step.background) results.push(runStep(step));
    else if (step.run !== undefined) results.push(await runStep(step));
    else if (step.flip !== undefined) {
      const { name, ...entry } = step.flip;
      zone = { ...zone, [name.toLowerCase()]: entry };
      responder.setZone(zone);
      results.push(quiet('flip', { flip: step.flip }, ms()));
    } else if (step.waitFile !== undefined) {
      // Until a background run has got somewhere (it creates the file), at most timeoutMs.
      const until = performance.now() + (step.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      while (!existsSync(step.waitFile) && performance.now() < until) await sleep(20);
      results.push(quiet('wait', { waitFile: step.waitFile, found: existsSync(step.waitFile) }, ms()));
    } else if (step.sleepMs !== undefined) {
      await sleep(step.sleepMs);
      results.push(quiet('sleep', { sleepMs: step.sleepMs }, ms()));
    } else results.push(quiet('unknown', { step }, ms()));
  }
  return Promise.all(results);
}

// --- the world --------------------------------------------------------------------------------

const readLines = (file) => {
  let text = '';
  try { text = readFileSync(file, 'utf8'); } catch { /* nothing logged */ }
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
};

/** Set the world up, noting in `world` what to tear down. */
async function setUp(config, dir, world) {
  if (typeof config.zone !== 'object' || !Array.isArray(config.steps)) throw new SetupError('the config needs a "zone" object and a "steps" array');
  checkNamespaces();
  bringUpLoopback(addressesOf(config));
  world.responder = await startResponder({ address: NAMESERVER, port: 53, zone: config.zone, log: world.logs.queries })
    .catch((err) => { throw new SetupError(`the DNS responder on ${NAMESERVER}:53: ${err.message}`); });
  for (const l of config.listeners ?? []) world.listeners.push(await startListener(l, world.logs.accepted));
  mountEtc(dir, config, world.mounted);
}

/** Undo what setUp did (only that: nothing is unmounted that this world did not mount). */
function tearDown(world, dir) {
  for (const f of world.mounted.reverse()) {
    try { execFileSync('umount', [f], { stdio: 'ignore' }); } catch { /* the namespace goes anyway */ }
  }
  world.responder?.close();
  for (const l of world.listeners) l.close();
  rmSync(dir, { recursive: true, force: true });
}

async function main(configFile) {
  if (configFile === undefined) throw new SetupError('usage: unshare --net --mount --propagation private node world.mjs CONFIG.json');
  let config;
  try { config = JSON.parse(readFileSync(configFile, 'utf8')); } catch (err) { throw new SetupError(`the config ${configFile}: ${err.message}`); }
  const dir = mkdtempSync(join(tmpdir(), 'dns-world-'));
  const world = { logs: { queries: join(dir, 'queries.jsonl'), accepted: join(dir, 'accepted.jsonl') }, responder: undefined, listeners: [], mounted: [] };
  try {
    await setUp(config, dir, world);
    const steps = await runSteps(config.steps, world.responder, config.zone);
    return { steps, queries: readLines(world.logs.queries), accepted: readLines(world.logs.accepted) };
  } finally {
    tearDown(world, dir);
  }
}

main(process.argv[2]).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0)),
  (err) => {
    process.stderr.write(`dns-world: ${err instanceof SetupError ? err.message : err.stack ?? err}\n`.replace(/\n(?!$)/g, ' | '));
    process.exit(1);
  },
);
