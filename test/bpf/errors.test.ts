import tap from 'tap';
import { Builder, bpfError, isBpfError, validate } from '../../lib/bpf/index.js';

tap.test('errors carry a code and, where useful, pc and label', async (t) => {
  const e = bpfError('ERR_BPF_INVALID', 'boom', { pc: 3 });
  t.ok(e instanceof Error);
  t.match(e, { code: 'ERR_BPF_INVALID', pc: 3, message: 'boom' });
  t.ok(isBpfError(e));
  t.ok(isBpfError(e, 'ERR_BPF_INVALID'));
  t.notOk(isBpfError(e, 'ERR_BPF_LABEL'));
  t.notOk(isBpfError(Object.assign(new Error('x'), { code: 'ENOENT' })));
  t.notOk(isBpfError('ERR_BPF_INVALID'));
  try {
    validate([]);
  } catch (err) {
    t.ok(isBpfError(err, 'ERR_BPF_INVALID'), 'validate throws one');
  }
  try {
    new Builder().ja('x').build();
  } catch (err) {
    t.ok(isBpfError(err, 'ERR_BPF_LABEL') && err.label === 'x', 'the builder throws one');
  }
});
