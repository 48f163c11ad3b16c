import type { ScanProgress, ScanResult } from './scanner.js';

/** The library domain's events: scans and folder changes. */
export type LibraryEvents = {
  'scan-progress': ScanProgress;
  'scan-finished': ScanResult;
  'library-changed': { reason: 'scan' | 'folders' };
  'watcher-error': { folder: string; message: string };
};
