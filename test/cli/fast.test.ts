// The hot paths' own parser (lib/cli/fast.ts) against yargs (lib/cli/main.ts): on every form it
// accepts, both give the command the same arguments; everything else it leaves to yargs.
import t from 'tap';
import { fastArgs } from '../../lib/cli/fast.js';
import { buildYargs } from '../../lib/cli/main.js';
import type { Io } from '../../lib/cli/io.js';

const io: Io = { out: () => undefined, err: () => undefined } as unknown as Io;

/** What yargs hands the run command for argv (only the keys the command reads). */
async function viaYargs(argv: string[]): Promise<Record<string, unknown> | undefined> {
  let got: Record<string, unknown> | undefined;
  // The command is not run: its arguments are kept.
  const y = buildYargs(argv, io, () => undefined, {}, (c, a) => {
    const args = a as Record<string, unknown>;
    if (c.command === 'run') got = { profile: args.profile, audit: args.audit, verbose: args.verbose, log: args.log, '--': (args['--'] as unknown[] | undefined)?.map(String) };
    return 0;
  });
  await y.parseAsync(argv, {}, () => undefined).catch(() => undefined);
  return got;
}

const accepted: string[][] = [
  ['run', '--profile', 'p.yaml', '--', '/bin/true'],
  ['run', '-p', 'p.yaml', '--', 'node', '-e', '0'],
  ['run', '--profile=p.yaml', '--audit', '--', 'cmd', '--flag', '-x'],
  ['run', '--log', 'ev.jsonl', '--profile', 'p.yaml', '-v', '--', 'a b', ''],
  ['run', '--verbose', '--log=ev.jsonl', '-p', 'p.yaml', '--', 'x', '--', 'y'],
];

t.test('on every form it accepts, the same arguments as yargs', async (t) => {
  for (const argv of accepted) {
    const fast = fastArgs(argv);
    t.equal(fast?.name, 'run', argv.join(' '));
    const y = await viaYargs(argv);
    t.ok(y, `yargs accepts it too: ${argv.join(' ')}`);
    const { log, ...rest } = y!;
    t.same(fast?.args, { ...rest, ...(log !== undefined ? { log } : {}) }, `same arguments: ${argv.join(' ')}`);
  }
  t.same(fastArgs(['bootstrap']), { name: 'bootstrap', args: {} });
});

t.test('anything else goes to yargs', async (t) => {
  const left: string[][] = [
    [], ['--help'], ['run'], ['run', '--help'], ['run', '--profile', 'p.yaml'], ['run', '--profile', 'p.yaml', '--'],
    ['run', '--', 'x'], ['run', '--profile', '--audit', '--', 'x'], ['run', '--profil', 'p', '--', 'x'],
    ['run', '-p', 'a', '-p', 'b', '--', 'x'], ['run', '--no-audit', '-p', 'p', '--', 'x'], ['run', '--audit=false', '-p', 'p', '--', 'x'],
    ['run', '-p', 'p', 'x'], ['bootstrap', '--help'], ['bootstrap', 'x'], ['check', 'p.yaml'], ['record', '--', 'x'],
  ];
  for (const argv of left) t.equal(fastArgs(argv), undefined, JSON.stringify(argv));
});
