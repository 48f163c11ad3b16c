/**
 * Wraps a callback so it runs at most once per `intervalMs`; `flush` delivers the latest value at once
 * (used at phase changes and at the end, so the last progress a listener sees is accurate).
 */
export function throttle<T>(fn: (value: T) => void, intervalMs: number): { push(value: T): void; flush(): void } {
  let last = 0;
  let pending: { value: T } | null = null;
  return {
    push(value) {
      const now = Date.now();
      if (now - last >= intervalMs) {
        last = now;
        pending = null;
        fn(value);
      } else {
        pending = { value };
      }
    },
    flush() {
      if (pending) {
        last = Date.now();
        const { value } = pending;
        pending = null;
        fn(value);
      }
    },
  };
}

/** Runs `worker` over `items` with at most `concurrency` in flight, stopping early when `shouldStop()`. */
export async function forEachConcurrent<T>(
  items: readonly T[],
  concurrency: number,
  worker: (item: T, index: number) => Promise<void>,
  shouldStop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length && !shouldStop()) {
      const index = next++;
      await worker(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
}
