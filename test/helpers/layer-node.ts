// The Node.js the Lambda layer ships (Node 26 LTS), unpacked once into test/.node/: the seatbelt
// tests run handlers under it, as the layer does, whatever node runs the tests themselves.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../lib/paths.js';

let cached: { readonly path: string } | { readonly skip: string } | undefined;

/** The layer's node binary for this machine's arch, or why there is none (no npm registry, no cache). */
export function layerNode(): { readonly path: string } | { readonly skip: string } {
  if (cached) return cached;
  const root = packageRoot();
  const arch = process.arch === 'arm64' ? 'arm64' : 'x86_64';
  try {
    const out = execFileSync(process.execPath, [join(root, 'scripts', 'build-layer.mjs'), '--arch', arch, '--node-only', join(root, 'test', '.node')], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
    cached = { path: out.trim().split('\n').pop()! };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    cached = { skip: `the layer's Node.js cannot be fetched here: ${(err.stderr || err.message).trim().split('\n').pop()}` };
  }
  return cached;
}
