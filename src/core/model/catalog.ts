import raw from './catalog.json' with { type: 'json' };
import { clapSource } from './hub-adapters.js';
import { isPrecision, precisionLabel, type Precision } from './precision.js';

const SIZE_SOURCES = ['hub-listing', 'hub-page', 'hub-page-rounded', 'recorded-elsewhere', 'estimate'] as const;
/** Where a catalog size figure comes from (see `sizeSources` in catalog.json). */
export type SizeSource = (typeof SIZE_SOURCES)[number];

/** One file a catalog variant downloads. */
export interface CatalogFile {
  repo: string;
  revision: string;
  /** The pack folder it goes to. */
  folder: 'clap' | 'alignment-encoder';
  path: string;
  size: number;
  sizeSource: SizeSource;
}

/** One precision of a catalog pack: its own source, files and size. */
export interface CatalogVariant {
  precision: Precision;
  /** How the precision is called on screen. */
  label: string;
  note: string;
  /** `hf:org/repo@<commit>:<precision>`: what to install. */
  source: string;
  sizeBytes: number;
  /** True unless every file's size was read from the hub's listing. */
  sizeIsEstimate: boolean;
  recommended: boolean;
  installed: boolean;
  files: CatalogFile[];
}

/** A recommended pack from the catalog; its top-level source and size are those of its recommended variant. */
export interface CatalogEntry {
  source: string;
  repo: string;
  revision: string;
  name: string;
  kind: string;
  precision: Precision;
  sizeBytes: number;
  /** True when sizeBytes is not the sum of sizes read from the hub's listing (the install reads them). */
  sizeIsEstimate: boolean;
  default: boolean;
  description: string;
  /** True when any variant is installed. */
  installed: boolean;
  alignment: { repo: string; revision: string };
  variants: CatalogVariant[];
}

interface RawSize {
  size: number;
  sizeSource: string;
}
interface RawPack {
  repo: string;
  revision: string;
  name: string;
  kind: string;
  default: boolean;
  defaultPrecision: string;
  description: string;
  alignment: { repo: string; revision: string };
  variants: { precision: string; note: string; files: { clap: string[]; alignment: string[] } }[];
  sizes: { clap: Record<string, RawSize>; alignment: Record<string, RawSize> };
}

function file(p: RawPack, folder: 'clap' | 'alignment-encoder', path: string): CatalogFile {
  const repo = folder === 'clap' ? { repo: p.repo, revision: p.revision } : p.alignment;
  const s = (folder === 'clap' ? p.sizes.clap : p.sizes.alignment)[path];
  if (!s || !(SIZE_SOURCES as readonly string[]).includes(s.sizeSource))
    throw new Error(`catalog.json: ${repo.repo} ${path} has no size or an unknown sizeSource`);
  return { ...repo, folder, path, size: s.size, sizeSource: s.sizeSource as SizeSource };
}

/** The catalog's packs, each variant with its files and summed size; `installed` holds installed sources. */
export function catalogEntries(installed: ReadonlySet<string> = new Set()): CatalogEntry[] {
  return (raw.packs as RawPack[]).map((p) => {
    const variants = p.variants.map((v): CatalogVariant => {
      if (!isPrecision(v.precision)) throw new Error(`catalog.json: ${p.repo} has an unknown precision "${v.precision}"`);
      const files = [...v.files.clap.map((f) => file(p, 'clap', f)), ...v.files.alignment.map((f) => file(p, 'alignment-encoder', f))];
      const source = clapSource(p.repo, p.revision, v.precision);
      return {
        precision: v.precision,
        label: precisionLabel(v.precision),
        note: v.note,
        source,
        sizeBytes: files.reduce((s, f) => s + f.size, 0),
        sizeIsEstimate: files.some((f) => f.sizeSource !== 'hub-listing'),
        recommended: v.precision === p.defaultPrecision,
        installed: installed.has(source),
        files,
      };
    });
    const main = variants.find((v) => v.recommended) ?? variants[0];
    if (!main) throw new Error(`catalog.json: ${p.repo} has no variants`);
    return {
      source: main.source,
      repo: p.repo,
      revision: p.revision,
      name: p.name,
      kind: p.kind,
      precision: main.precision,
      sizeBytes: main.sizeBytes,
      sizeIsEstimate: main.sizeIsEstimate,
      default: p.default,
      description: p.description,
      installed: variants.some((v) => v.installed),
      alignment: p.alignment,
      variants,
    };
  });
}
