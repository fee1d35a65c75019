// The profiles the syscage layer ships (profiles/*.yaml in syscage, /opt/syscage/profiles/ in the
// layer: scripts/build-layer.mjs). test/profiles.test.ts checks this list against that folder.

/** The shipped profiles, by name: the files profiles/NAME.yaml of syscage, in the layer at /opt/syscage/profiles/NAME.yaml. */
export const SHIPPED_PROFILES = [
  'lambda-nodejs',
  'nodejs',
  'no-network',
  'no-subprocess',
  'python',
  'readonly-task',
  'static-binary',
] as const;

/**
 * The name of a profile the syscage layer ships: `lambda-nodejs` (a Node.js handler run by
 * aws-lambda-ric), `python` (a Python standard-library runtime loop), `static-binary` (one static
 * executable), `nodejs` (the syscalls Node.js needs), and the presets `no-network`,
 * `no-subprocess`, `readonly-task` (meant for `extends`).
 */
export type ShippedProfile = (typeof SHIPPED_PROFILES)[number];

/**
 * The shipped profiles that are whole profiles for a function, which SyscageFunction's `profile`
 * takes: each decides syscalls (`default: deny`) and has files, exec, network and process sections
 * (test/profiles.test.ts derives this list from profiles/*.yaml). The others are bases for
 * `extends`: `nodejs` decides syscalls only, and the presets `no-network`, `no-subprocess`,
 * `readonly-task` only narrow one kind of access. A section a profile lacks leaves that kind of
 * access unchecked (docs/profile.md), so any of them alone leaves a function nearly unconfined.
 */
export const FUNCTION_PROFILES = ['lambda-nodejs', 'python', 'static-binary'] as const satisfies readonly ShippedProfile[];

/** The name of a whole shipped profile for a function: `lambda-nodejs`, `python` or `static-binary`. */
export type FunctionProfile = (typeof FUNCTION_PROFILES)[number];

/** Where the layer is unpacked in a function. */
export const LAYER_ROOT = '/opt';

/** Where a function's code is unpacked (LAMBDA_TASK_ROOT). */
export const TASK_ROOT = '/var/task';

/** The path of a shipped profile inside a function that has the layer: /opt/syscage/profiles/NAME.yaml. */
export const shippedProfilePath = (name: ShippedProfile): string => `${LAYER_ROOT}/syscage/profiles/${name}.yaml`;

/** Whether a string names a shipped profile. */
export const isShippedProfile = (name: string): name is ShippedProfile => (SHIPPED_PROFILES as readonly string[]).includes(name);

/** Whether a string names a whole shipped profile for a function. */
export const isFunctionProfile = (name: string): name is FunctionProfile => (FUNCTION_PROFILES as readonly string[]).includes(name);
