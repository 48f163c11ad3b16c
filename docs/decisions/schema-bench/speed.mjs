const libs = { valibot: await import('./v.mjs'), zod: await import('./z.mjs'), 'zod/mini': await import('./zm.mjs') };
const good = { path: '/music/a', ids: Array.from({ length: 20 }, (_, i) => i + 1), policy: 'quick', k: 5 };
const bad = { path: '', ids: [0] };
for (const [name, lib] of Object.entries(libs)) {
  for (let i = 0; i < 20000; i++) lib.parse(good);
  const N = 300000;
  let t = performance.now();
  for (let i = 0; i < N; i++) lib.parse(good);
  const okUs = ((performance.now() - t) * 1000) / N;
  t = performance.now();
  const M = 50000;
  for (let i = 0; i < M; i++) {
    try {
      lib.parse(bad);
    } catch {}
  }
  const badUs = ((performance.now() - t) * 1000) / M;
  // cold: first-parse cost in a fresh import is not measured here
  console.log(JSON.stringify({ name, validUs: +okUs.toFixed(3), invalidUs: +badUs.toFixed(3) }));
}
