/** Environment variables the main process uses to configure the core utility process. */
export const CORE_ENV = {
  /** The library's data folder (the app's userData). */
  dataDir: 'MOODSHELF_CORE_DATA_DIR',
  /** Absolute path of the better-sqlite3 addon built for Electron's ABI. */
  nativeBinding: 'MOODSHELF_CORE_NATIVE_BINDING',
} as const;
