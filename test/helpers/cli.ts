// Run the CLI in-process with a captured io: what a command printed, and its exit status.
import { main } from '../../lib/cli/main.js';

export interface Ran { status: number; stdout: Buffer; out: string; err: string }

export async function runCli(argv: readonly string[], { tty = false } = {}): Promise<Ran> {
  const chunks: Buffer[] = [];
  let err = '';
  const status = await main(argv, {
    out: (text) => { chunks.push(Buffer.from(text)); },
    err: (text) => { err += text; },
    outIsTty: tty,
  });
  const stdout = Buffer.concat(chunks);
  return { status, stdout, out: stdout.toString('utf8'), err };
}
