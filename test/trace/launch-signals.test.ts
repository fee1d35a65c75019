// Signals that reach stage-2 while it boots, before the run is posted (lib/trace/worker.ts,
// waitForStart: the tracer thread sleeps until the main thread wakes it). Each stops stage-2 — a
// signal-delivery-stop, stage-2 being seized — until the tracer arms it, which delivers the signal.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { loadProfile } from '../../lib/profile/load.js';
import { PreparedTracer, supervise } from '../../lib/trace/supervisor.js';

const dir = mkdtempSync(join(tmpdir(), 'syscage-launch-signals-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'allow.yaml');
writeFileSync(file, 'version: 1\nname: launch-signals\ndefault: allow\n');
const { profile } = loadProfile(file);

/** The state letter of /proc/PID/stat ("t": stopped by its tracer). */
const state = (pid: number): string => /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))![1]!;

/** Signal stage-2 once it is seized, and wait until it is seen stopped for it (at most 5 s). */
async function signalBooting(prepared: PreparedTracer, sig: NodeJS.Signals): Promise<string> {
  const { pid, mode } = await prepared.ready;
  if (mode !== 'supervised') throw new Error('stage-2 was not seized');
  process.kill(pid, sig);
  for (let i = 0; i < 500 && state(pid) !== 't'; i++) await delay(10);
  return state(pid);
}

t.test('a signal stage-2 ignores, while it boots: held until the launch, and the command runs', async (t) => {
  const prepared = new PreparedTracer();
  t.equal(await signalBooting(prepared, 'SIGWINCH'), 't', 'stage-2 stopped for the signal, and stays stopped until the run is posted');
  const outcome = await supervise({ profile, command: ['/bin/sh', '-c', 'exit 3'], forward: [] }, prepared);
  t.equal(outcome.code, 3, "the command ran: the signal was delivered (ignored) and stage-2's start went on");
  t.equal(outcome.launched, true);
});

t.test('a signal that ends stage-2, while it boots: the launch fails, saying so, and nothing runs', async (t) => {
  const prepared = new PreparedTracer();
  t.equal(await signalBooting(prepared, 'SIGTERM'), 't');
  const marker = join(dir, 'ran');
  await t.rejects(
    supervise({ profile, command: ['/bin/sh', '-c', `touch ${marker}`], forward: [] }, prepared),
    /stage-2 ended before the launch/,
  );
  t.throws(() => readFileSync(marker), { code: 'ENOENT' }, 'the command never ran');
});

t.test('cancelled while stage-2 is stopped for a signal: it is killed and reaped', async (t) => {
  const prepared = new PreparedTracer();
  const { pid } = await prepared.ready;
  t.equal(await signalBooting(prepared, 'SIGWINCH'), 't');
  await prepared.cancel();
  t.throws(() => readFileSync(`/proc/${pid}/stat`), { code: 'ENOENT' }, 'no stage-2 left, not even a zombie');
});
