// Types for the parts of native-electron.mjs that the tests call directly.
export declare class SetupFailure extends Error {
  constructor(what: string, details: { url?: string; why: string | string[]; next: string[]; log?: string });
  what: string;
  url: string | undefined;
  why: string[];
  next: string[];
  log: string | undefined;
}
export declare function formatFailure(failure: SetupFailure, level?: 'ERROR' | 'WARNING'): string;
export declare function nodeVersionProblem(current: string, engines: string | undefined, electronVersion: string): string | null;
export declare function electronInstalled(electronDir: string, version: string, platform?: string): boolean;
export declare function electronZipUrl(version: string, platform: string, arch: string, env?: NodeJS.ProcessEnv): string;
export declare function describeDownloadError(err: unknown): { kind: string; text: string; status?: number };
export declare function addonAbi(file: string): number | 'napi' | null;
export declare function findExecutable(cmd: string, env?: NodeJS.ProcessEnv): string | null;
export declare function missingToolchain(env?: NodeJS.ProcessEnv, platform?: NodeJS.Platform): string[];
export declare function main(argv?: string[]): Promise<number | undefined>;
