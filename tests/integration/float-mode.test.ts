import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * ONNX Runtime's denormals-as-zero mode reaches the inference worker's thread (runtime.ts denormalsAsZero):
 * checked in a fresh process, where no session has been created yet, as the app starts.
 */
describe('denormals as zero', () => {
  // ONNX Runtime sets the mode on x86 only (SSE's MXCSR); elsewhere the option does nothing.
  it.runIf(process.arch === 'x64' || process.arch === 'ia32')(
    'is off in a fresh process, on after denormalsAsZero, and inherited by a worker started afterwards',
    () => {
      const out = execFileSync(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, '../support/float-mode-child.ts')], {
        cwd: resolve(import.meta.dirname, '../..'),
        encoding: 'utf8',
      });
      expect(JSON.parse(out.trim().split('\n').at(-1) ?? '{}')).toEqual({ before: true, after: false, worker: false, workerBefore: true });
    },
  );
});
