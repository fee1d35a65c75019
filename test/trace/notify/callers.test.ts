// What the notification supervisor remembers of a calling thread (lib/trace/notify/callers.ts),
// with real pidfds: kept while the thread lives and no exec was counted; dropped when the task ends
// (its tid may then be another task's), when an exec is counted, when its call was no longer
// pending, and never kept when the profile lets a call change identity. The exec counter is a
// plain Int32Array here (the tracer's in a run).
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Callers, type Known } from '../../../lib/trace/notify/callers.js';

const as: Known['as'] = (work) => work();
const known = (tgid: number): Known => ({ tgid, as, ownNamespace: true });

t.test('a process: remembered while it lives, forgotten once it has ended', async (t) => {
  const child = spawn('sleep', ['30']);
  const pid = child.pid!;
  const callers = new Callers(true, new Int32Array(2));
  t.teardown(() => callers.clear());
  const learnt = callers.learn(pid, known(pid));
  t.ok(learnt, 'learnt (a pidfd of the process was taken)');
  t.equal(callers.get(pid), undefined, 'nothing is known before the call is proven pending');
  callers.settle(learnt, true);
  t.equal(callers.get(pid)?.tgid, pid, 'known once settled');
  t.equal(callers.get(pid)?.tgid, pid, 'and still known at the next call');
  child.kill('SIGKILL');
  await once(child, 'exit');
  t.equal(callers.get(pid), undefined, 'forgotten once the task has ended: its tid may be reused');
});

t.test('a task that has ended but is not reaped yet (a zombie) counts as ended', async (t) => {
  // The shell's background child outlives nothing: once it exits, `sleep` (the shell's new image)
  // never reaps it, and it stays a zombie with its pid.
  const parent = spawn('/bin/sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 30']);
  t.teardown(() => parent.kill('SIGKILL'));
  const [line] = (await once(parent.stdout!, 'data')) as [Buffer];
  const pid = Number(line.toString().trim());
  const callers = new Callers(true, new Int32Array(2));
  t.teardown(() => callers.clear());
  callers.settle(callers.learn(pid, known(pid)), true);
  t.equal(callers.get(pid)?.tgid, pid, 'known while it runs');
  const state = (): string => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0]!;
  for (let i = 0; i < 300 && state() !== 'Z'; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(state(), 'Z', 'a zombie now (its pid still taken)');
  t.equal(callers.get(pid), undefined, 'forgotten');
});

t.test('an exec counted by the tracer forgets everything', async (t) => {
  const child = spawn('sleep', ['30']);
  t.teardown(() => child.kill('SIGKILL'));
  const pid = child.pid!;
  const cells = new Int32Array(2);
  const callers = new Callers(true, cells);
  t.teardown(() => callers.clear());
  callers.settle(callers.learn(pid, known(pid)), true);
  t.ok(callers.get(pid), 'known');
  Atomics.add(cells, 1, 1);
  t.equal(callers.get(pid), undefined, 'forgotten after an exec');
  callers.settle(callers.learn(pid, known(pid)), true);
  t.ok(callers.get(pid), 'learnt again under the new count');
});

t.test('a call no longer pending: nothing is kept', async (t) => {
  const child = spawn('sleep', ['30']);
  t.teardown(() => child.kill('SIGKILL'));
  const callers = new Callers(true, new Int32Array(2));
  callers.settle(callers.learn(child.pid!, known(child.pid!)), false);
  t.equal(callers.get(child.pid!), undefined, 'not kept');
});

t.test('a profile that lets identity change: nothing is remembered', async (t) => {
  const callers = new Callers(false, new Int32Array(2));
  t.equal(callers.learn(process.pid, known(process.pid)), undefined, 'learn gives nothing to keep');
});

t.test('a thread other than its group leader (PIDFD_THREAD, Linux 6.9)', async (t) => {
  const worker = new Worker(`
    const { parentPort } = require('node:worker_threads');
    const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
    parentPort.postMessage(tid);
    setInterval(() => {}, 1000);
  `, { eval: true });
  const [tid] = (await once(worker, 'message')) as [number];
  t.not(tid, process.pid, 'the worker is a thread of its own');
  const callers = new Callers(true, new Int32Array(2));
  t.teardown(() => callers.clear());
  const learnt = callers.learn(tid, known(process.pid));
  if (!learnt) {
    // Before 6.9 pidfd_open refuses a thread that is not a leader: such threads are never remembered.
    t.pass('not remembered: this kernel has no thread pidfds');
    await worker.terminate();
    return;
  }
  callers.settle(learnt, true);
  t.equal(callers.get(tid)?.tgid, process.pid, 'known while the thread runs, though its process is not the thread');
  await worker.terminate();
  // The thread's exit is asynchronous to terminate(): wait until its task is gone.
  for (let i = 0; i < 200 && callers.get(tid); i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(callers.get(tid), undefined, 'forgotten once the thread has ended, while its process lives on');
});

t.test('a root directory is remembered only where no call can change it, and only "/"', async (t) => {
  const cells = new Int32Array(2);
  t.equal(new Callers(true, cells, true).rootToKeep('/'), '/', 'root fixed by the profile: "/" is remembered');
  t.equal(new Callers(true, cells, true).rootToKeep('/srv/jail'), undefined, 'another root is read at every call (a rename would change its name)');
  t.equal(new Callers(true, cells, true).rootToKeep(undefined), undefined, 'an unreadable root is not remembered');
  t.equal(new Callers(true, cells, false).rootToKeep('/'), undefined, 'a profile that lets a task chroot: read at every call');
});
