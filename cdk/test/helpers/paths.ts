import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The syscage-cdk package's root (cdk/ in a syscage checkout). */
export const cdkRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The syscage checkout around it. */
export const syscageRoot = join(cdkRoot, '..');
