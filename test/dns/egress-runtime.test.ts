// Egress by hostname in the runtime tier (Lambda as it is: the platform simulator refuses seccomp
// and ptrace), inside a DNS world (test/helpers/dns-world): the Node seatbelt sees each name
// before it is looked up and reports what allowed names resolved to; the process monitor checks
// every connection it sees against those bindings, so a program the seatbelt cannot see (bash's
// /dev/tcp here, native code in a function) is caught when it connects to an address no allowed
// name gave.
import t from 'tap';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../lib/paths.js';
import { jsonLines, runWorld, worldAvailable, type WorldResult } from '../helpers/dns-world.js';

const root = packageRoot();
const syscage = join(root, 'bin', 'syscage');
const simulate = join(root, 'test', 'platform', 'simulate.mjs');
const client = join(root, 'test', 'dns', 'fixtures', 'client.mjs');
const skip = worldAvailable() ?? (process.getuid?.() !== 0 ? 'the platform simulator must start as root' : undefined);

const dir = mkdtempSync(join(tmpdir(), 'syscage-egress-rt-'));
chmodSync(dir, 0o755);
const profile = join(dir, 'egress-rt.yaml');
writeFileSync(profile, `version: 1
name: egress-rt
default: allow
weakest_tier: runtime
network:
  connect:
    - "allowed.test:8443"
    - "other.test:9000"
`, { mode: 0o644 });

const zone = {
  'allowed.test': { ttl: 5, A: ['192.0.2.10'] },
  'other.test': { ttl: 5, A: ['192.0.2.11'] },
  'evil.test': { ttl: 5, A: ['192.0.2.11'] },
};
const listeners = ['192.0.2.10:8443', '192.0.2.11:8443'];
/** `syscage run` of a command in the simulated Lambda (the runtime tier). */
const inLambda = (...command: string[]) => ({ run: [process.execPath, simulate, '--variant', 'nnp0', '--', process.execPath, syscage, 'run', '--profile', profile, '--', ...command] });
/** The same, of the Node client. */
const lambda = (...args: string[]) => inLambda(process.execPath, client, ...args);
/** A Python handler's lookups and connects, one JSON line each. */
const PYTHON = `
import json, socket, sys
for name, port in (('allowed.test', 8443), ('evil.test', 8443)):
    try:
        with socket.create_connection((name, port), timeout=5) as c:
            print(json.dumps({'name': name, 'ok': True, 'data': c.recv(64).decode().strip()}))
    except OSError as e:
        print(json.dumps({'name': name, 'ok': False, 'error': type(e).__name__, 'errno': e.errno}))
`;
const python = '/usr/bin/python3';
const lines = jsonLines;
const hold = (ip: string) => `exec 3<>/dev/tcp/${ip}/8443 && read -r line <&3 && echo "$line" && sleep 2`;

t.test('host rules in the runtime tier', { skip }, async (t) => {
  let world: WorldResult;
  t.before(async () => {
    world = await runWorld({
      zone,
      listeners,
      steps: [
        lambda('connect', 'allowed.test', '8443', 'bash', hold('192.0.2.10')),
        lambda('lookup', 'evil.test'),
        lambda('lookup', 'other.test', 'connect', '192.0.2.11', '8443'),
        lambda('lookup', 'allowed.test', 'bash', hold('192.0.2.11')),
        ...(existsSync(python) ? [inLambda(python, '-c', PYTHON)] : []),
      ],
    });
  });

  t.test('the runtime tier is the one in use', async (t) => {
    for (const s of world.steps) {
      t.match(s.stderr, /^syscage: tier runtime/m, s.stderr);
      t.match(s.stderr, /^syscage: dns: 2 host rules: the (Node\.js|Python) seatbelt refuses other names before they are looked up/m);
    }
  });

  t.test('a connection to an allowed name works, and a program the seatbelt cannot see may use the address it bound', async (t) => {
    const s = world.steps[0]!;
    t.equal(s.code, 0, s.stderr);
    const [connect, bash] = lines(s.stdout);
    t.match(connect, { op: 'connect', ok: true, address: '192.0.2.10', data: 'hello' });
    t.match(bash, { op: 'bash', status: 0, stdout: 'hello' }, "bash's connection to the bound address is not a finding");
    t.same(lines(s.stderr).filter((e) => e.decision !== 'allow'), [], 'no event');
  });

  t.test('a lookup of a name no rule allows is refused in the process, and never reaches the name server', async (t) => {
    const s = world.steps[1]!;
    t.match(lines(s.stdout), [{ op: 'lookup', name: 'evil.test', ok: false, code: 'ENOTFOUND' }]);
    t.match(lines(s.stderr), [{ decision: 'deny', name: 'evil.test', tier: 'runtime', rule: { what: 'network.connect' }, reason: /lookup of evil\.test .*refused by the Node\.js seatbelt/ }]);
    t.same(world.queries.filter((q) => q.name === 'evil.test'), [], 'no question about evil.test');
  });

  t.test("a connection to another name's address is refused before it happens, naming that name", async (t) => {
    const s = world.steps[2]!;
    const [lookup, connect] = lines(s.stdout);
    t.match(lookup, { op: 'lookup', ok: true, addresses: ['192.0.2.11'] });
    t.match(connect, { op: 'connect', ok: false, code: 'ERR_SYSCAGE_REFUSED' });
    t.match(lines(s.stderr), [{ decision: 'deny', address: '192.0.2.11:8443', tier: 'runtime' }]);
  });

  t.test('the monitor kills a program the seatbelt cannot see that connects to an address no allowed name gave', async (t) => {
    const s = world.steps[3]!;
    const [, bash] = lines(s.stdout);
    t.match(bash, { op: 'bash', signal: 'SIGKILL' }, 'bash was killed');
    t.match(lines(s.stderr), [{ syscall: 'connect', decision: 'kill', address: '192.0.2.11:8443', tier: 'runtime', reason: /a socket is connected to 192\.0\.2\.11:8443, which network\.connect does not allow/ }]);
  });

  t.test('a Python handler: its audit hook refuses a name no rule allows before the lookup', { skip: existsSync(python) ? false : `${python} is not installed` }, async (t) => {
    const s = world.steps[4]!;
    t.equal(s.code, 0, s.stderr);
    t.match(s.stderr, /^syscage: dns: 2 host rules: the Python seatbelt refuses other names/m);
    t.match(lines(s.stdout), [{ name: 'allowed.test', ok: true, data: 'hello' }, { name: 'evil.test', ok: false, error: 'gaierror' }]);
    t.match(lines(s.stderr), [{ decision: 'deny', name: 'evil.test', tier: 'runtime', reason: /refused by the Python seatbelt/ }]);
    t.same(world.queries.filter((q) => q.name === 'evil.test'), [], 'no question about evil.test');
  });
});
