import type { InstalledPack } from '../../core/model/pack-store.js';
import type { CatalogEntry } from '../../core/model/catalog.js';
import type { InstallProgress } from '../../core/model/install.js';
import { type Command, UsageError, output, positional } from '../context.js';
import { count } from '../format.js';

function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return `${Math.round(n / 1e3)} kB`;
}

function formatPacks(packs: InstalledPack[]): string {
  if (packs.length === 0) return 'No model packs installed. Install one with: moodshelf models install <folder|zip|hf:org/repo|https URL>';
  return packs
    .map((p) => `${p.active ? '*' : ' '} ${p.key.padEnd(32)} ${p.kind.padEnd(6)} ${formatBytes(p.sizeBytes).padStart(9)}  ${p.name}`)
    .join('\n');
}

function formatCatalogEntry(e: CatalogEntry): string {
  const head = `${e.default ? '*' : ' '} ${e.name} (${e.repo}@${e.revision.slice(0, 12)})${e.installed ? ' (installed)' : ''}`;
  const rows = e.variants.map(
    (v) =>
      `    ${v.recommended ? '>' : ' '} ${v.precision.padEnd(5)} ${`${v.sizeIsEstimate ? '~' : ''}${formatBytes(v.sizeBytes)}`.padStart(10)}  ${v.installed ? 'installed  ' : ''}moodshelf models install '${v.source}'`,
  );
  return [head, ...rows].join('\n');
}

/** The progress line of an install on a TTY: phase, percentage of the bytes, file. */
function formatInstallProgress(p: InstallProgress): string {
  const pct = p.totalBytes ? ` ${Math.floor((p.receivedBytes / p.totalBytes) * 100)}% of ${formatBytes(p.totalBytes)}` : '';
  return `${p.phase}${pct}${p.file ? ` ${p.file}` : ''}`;
}

/**
 * `models install <source> [--precision P]`: runs the install job to its end with a progress line;
 * Ctrl-C cancels the job (the partial download stays, so running the command again resumes it).
 */
const install: Command = async (c) => {
  const source = positional(c.args, 2, 'pack source (folder, .zip, hf:org/repo[@revision] or https URL)');
  const tty = (c.io.stderr as NodeJS.WriteStream).isTTY === true;
  const off = c.core.events.on('model-install-progress', (p) => {
    if (tty) c.io.stderr.write(`\r\x1b[2K${formatInstallProgress(p)}`);
  });
  let jobId: string | null = null;
  const onSigint = (): void => {
    if (jobId) c.core.invoke('jobs-cancel', { id: jobId }).catch(() => undefined);
  };
  process.once('SIGINT', onSigint);
  try {
    const ticket = await c.core.invoke('models-install', { source, precision: c.args.values.precision });
    jobId = ticket.jobId;
    const pack = await c.core.jobs.wait(ticket);
    if (tty) c.io.stderr.write('\r\x1b[2K');
    return output(c, pack, () => `Installed ${pack.key} (${formatBytes(pack.sizeBytes)})${pack.active ? ', active' : ''}`);
  } finally {
    off();
    process.off('SIGINT', onSigint);
  }
};

/** `models list|install|use|remove|catalog`. */
export const models: Command = async (c) => {
  const sub = c.args.positionals[1];
  switch (sub) {
    case 'list':
    case undefined: {
      const packs = await c.core.invoke('models-list');
      return output(c, packs, () => formatPacks(packs));
    }
    case 'catalog': {
      const entries = await c.core.invoke('models-catalog');
      return output(c, entries, () => entries.map(formatCatalogEntry).join('\n'));
    }
    case 'install':
      return install(c);
    case 'use': {
      const pack = await c.core.invoke('models-use', { ref: positional(c.args, 2, 'pack id or id@version') });
      return output(c, pack, () => `Now using ${pack.key}; ${count(pack.queued, 'track')} queued for analysis (run: moodshelf analyze)`);
    }
    case 'remove': {
      const pack = await c.core.invoke('models-remove', { ref: positional(c.args, 2, 'pack id or id@version') });
      return output(c, pack, () => `Removed ${pack.key} and its results`);
    }
    default:
      throw new UsageError(`unknown models command "${sub}" (list, catalog, install, use, remove)`);
  }
};
