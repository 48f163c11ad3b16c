/**
 * The page's requests for the shell's Save and export-folder dialogs, checked. They come from the
 * renderer, which is untrusted: the shell only shows what these checks let through (a title, a bare file
 * name to suggest, a few file-type filters) and the page never gets to name a folder or path. Host-
 * independent, so the desktop shell and the e2e test server share the checks.
 */
import type { SaveFileRequest } from '../core/contract.js';

/** What the export-folder dialog accepts. */
export interface ExportFolderRequest {
  title?: string;
}

const MAX_TITLE = 200;
const MAX_NAME = 255;
const MAX_FILTERS = 10;
const EXTENSION = /^[A-Za-z0-9]{1,16}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A dialog title: optional, a short single line. `undefined` for none, `null` when unusable. */
function parseTitle(value: unknown): string | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > MAX_TITLE || /[\r\n\0]/.test(value)) return null;
  return value;
}

/** A suggested file name: a bare name (no folder, nothing hidden), so the page cannot steer where it goes. */
function parseDefaultName(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const name = value.trim();
  if (name === '' || name.length > MAX_NAME || name.startsWith('.') || /[/\\:\0\r\n*?"<>|]/.test(name)) return null;
  return name;
}

function parseFilters(value: unknown): SaveFileRequest['filters'] | null {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > MAX_FILTERS) return null;
  const filters: NonNullable<SaveFileRequest['filters']> = [];
  for (const f of value) {
    if (!isRecord(f) || typeof f.name !== 'string' || parseTitle(f.name) === null) return null;
    if (!Array.isArray(f.extensions) || f.extensions.length > MAX_FILTERS) return null;
    if (!f.extensions.every((e): e is string => typeof e === 'string' && EXTENSION.test(e))) return null;
    filters.push({ name: f.name, extensions: [...f.extensions] });
  }
  return filters;
}

/** The page's Save request, checked and copied; null when anything in it is off. */
export function parseSaveFileRequest(raw: unknown): SaveFileRequest | null {
  if (!isRecord(raw)) return null;
  const title = parseTitle(raw.title);
  const defaultName = parseDefaultName(raw.defaultName);
  const filters = parseFilters(raw.filters);
  if (title === null || defaultName === null || filters === null) return null;
  return { defaultName, ...(title === undefined ? {} : { title }), ...(filters === undefined ? {} : { filters }) };
}

/** The page's export-folder request, checked and copied; null when anything in it is off. */
export function parseExportFolderRequest(raw: unknown): ExportFolderRequest | null {
  if (raw === undefined) return {};
  if (!isRecord(raw)) return null;
  const title = parseTitle(raw.title);
  if (title === null) return null;
  return title === undefined ? {} : { title };
}
