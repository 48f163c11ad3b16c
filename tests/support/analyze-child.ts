// Runs the analysis queue in a separate process, so a test can kill it mid-run (SIGKILL) and check
// that a restarted core resumes the queue, or run two at once on one library. Prints the run's summary
// (JSON) on stdout. Usage: analyze-child.ts DATA_DIR
import { createCore } from '../../src/core/index.js';

const core = await createCore({ dataDir: process.argv[2] as string, threads: 1 });
core.invoke('analysis-start', {}).catch(() => undefined);
const summary = await core.run('analysis-wait');
await core.close();
process.stdout.write(JSON.stringify(summary));
