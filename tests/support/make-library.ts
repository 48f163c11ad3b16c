// Generates a test library: `npm run library:generate -- DIR [COUNT]` (default 500 files, 1 in 25 broken).
import { generateLibrary } from './library-gen.js';

const [dir, count = '500'] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: make-library DIR [COUNT]\n');
  process.exit(2);
}
const lib = generateLibrary(dir, Number(count));
process.stdout.write(`${JSON.stringify({ root: lib.root, good: lib.good.length, bad: lib.bad.length })}\n`);
