/**
 * CPU time of the calling thread, where the platform tells it: Linux's /proc/thread-self/schedstat (its first
 * field, nanoseconds on the CPU). Node 20 has no per-thread CPU clock (process.cpuUsage counts every thread;
 * process.threadCpuUsage came with Node 23.9), and the analysis wants to know what its decode workers cost
 * beside the encoder on the same cores (AnalysisPipelineInfo.decodeCpuMs).
 */
import { readFileSync } from 'node:fs';

let available = process.platform === 'linux';

/** Milliseconds this thread has run on a CPU, or null where that cannot be read (not Linux, no schedstat). */
export function threadCpuMs(): number | null {
  if (!available) return null;
  try {
    const ns = Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 1)[0]);
    if (Number.isFinite(ns)) return ns / 1e6;
  } catch {
    // Kernels without CONFIG_SCHED_INFO have no schedstat: say so once, by returning null from now on.
  }
  available = false;
  return null;
}
