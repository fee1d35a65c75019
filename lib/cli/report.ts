// syscage report LOG... [-o report.html] [--profile P [--arch A]] — audit logs and recordings → one HTML page.
import type { Argv } from 'yargs';
import type { Command } from './common.js';
import { loadForCommand } from './common.js';
import { EXIT } from './io.js';
import { writeAtomically } from '../record/index.js';

interface Args { logs: string[]; output: string; profile?: string; arch: 'x86_64' | 'aarch64' }

export const report: Command<Args> = {
  command: 'report <logs..>',
  describe: 'Write one self-contained HTML page from audit logs (run --log, Lambda/CloudWatch lines) and recordings',
  builder: (y: Argv) =>
    y.positional('logs', { type: 'string', array: true, demandOption: true, describe: 'audit logs, CloudWatch exports or recorded profiles (/dev/stdin for a pipe)' })
      .option('output', { alias: 'o', type: 'string', default: 'report.html', describe: 'write the page to FILE (replaced atomically, mode 0600); - for stdout' })
      .option('profile', { alias: 'p', type: 'string', describe: 'show the drift from this profile: what the logs show that it does not allow' })
      .option('arch', { type: 'string', choices: ['x86_64', 'aarch64'] as const, default: 'x86_64' as const, describe: 'the arch the logs come from, for the drift\'s syscall lists (events do not say it)' })
      .example('$0 report events.jsonl -o report.html', '')
      .example('aws logs tail /aws/lambda/orders --since 1d > day.log && $0 report day.log --profile syscage.yaml', ''),
  run: async (args, io) => {
    // Loaded here, not at the top: the CLI's start stays fast for every other command.
    const { makeReport, checkInputs } = await import('../report/index.js');
    checkInputs(args.logs);
    // A bad profile throws ProfileError: main prints its diagnostics (file:line:col) and exits 2.
    const profile = args.profile === undefined ? undefined : loadForCommand(args.profile, io);
    const { version } = await import('./main.js');
    const { html, aggregate: a } = await makeReport({
      inputs: args.logs,
      ...(profile ? { profile, profilePath: args.profile, arch: args.arch } : {}),
      warn: (line) => io.err(`syscage: ${line}\n`),
      version: version(),
    });
    if (args.output === '-') io.out(html);
    else writeAtomically(args.output, html, { mode: 0o600 }); // the page holds argv and paths
    const n = (x: number, one: string, many = `${one}s`) => `${x} ${x === 1 ? one : many}`;
    io.err(`syscage: wrote ${args.output === '-' ? 'stdout' : args.output}: ${n(a.events, 'event')}, ${a.invocationIds.approximate ? '~' : ''}${n(a.invocationIds.count, 'invocation')}, ${n(a.bad, 'bad line')}\n`);
    return EXIT.ok;
  },
};
