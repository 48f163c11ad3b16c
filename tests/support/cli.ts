import { runCli, type CliIo } from '../../src/cli/main.js';

/** What one CLI run printed and returned. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs the `moodshelf` CLI in-process with captured output (the same code path as the installed command). */
export async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: { write: (s: string) => ((out += s), true) },
    stderr: { write: (s: string) => ((err += s), true) },
    env,
  };
  const code = await runCli(args, io);
  return { code, out, err };
}
