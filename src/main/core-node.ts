// The core as the app bundles it, for a plain Node process: bench:analyze runs the app's analysis on this
// (bench/analyze-app.mjs), the built code and worker threads the utility process runs (core-host.ts), with
// the migrations passed as core-host passes them (out/main/migrations).
export { createCore } from '../core/index.js';
