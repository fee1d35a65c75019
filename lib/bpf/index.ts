// The generic classic-BPF layer for seccomp: instructions, kernel constants,
// a label-based builder, a disassembler and a kernel-faithful interpreter.
export * from './errors.js';
export * from './insn.js';
export * from './seccomp.js';
export * from './builder.js';
export * from './disasm.js';
export * from './interp.js';
