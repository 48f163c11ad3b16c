import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UserError } from '../kernel/errors.js';
import { sha256File } from './files.js';
import { gitBlobSha1 } from './hub-api.js';
import { fetchFailure } from './network-error.js';

/** Bytes received so far for one download. */
export type ByteProgress = (received: number, total: number | null) => void;

/** Options for {@link downloadFile}. */
export interface DownloadOptions {
  expectedSha256?: string;
  /** The git blob id the hub lists for a file kept outside LFS (checked when there is no sha256). */
  expectedGitSha1?: string;
  expectedSize?: number;
  onProgress?: ByteProgress;
  signal?: AbortSignal;
  /** What to call the file in error messages (e.g. "hf:org/repo: audio/encoder.onnx"). */
  label: string;
}

/**
 * Streams a response body into `part`, each chunk written before the next is read, so that whatever
 * arrived before a dropped connection is on disk for the next attempt to resume from.
 */
async function receive(
  res: Response,
  part: string,
  append: boolean,
  have: number,
  total: number | null,
  options: DownloadOptions,
): Promise<void> {
  const fh = await open(part, append ? 'a' : 'w');
  let received = have;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      await fh.write(chunk);
      received += chunk.length;
      options.onProgress?.(received, total);
    }
  } catch (err) {
    if (options.signal?.aborted) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new UserError(
      `${options.label}: download interrupted after ${received} bytes (${why}); run the install again to resume`,
      'E_DOWNLOAD',
    );
  } finally {
    await fh.close();
  }
}

/**
 * Downloads `url` to `dest`, streaming to `<dest>.part` and resuming an interrupted download with an
 * HTTP Range request. The finished file is checked against its sha256 (or its git blob id) before it is
 * renamed into place; a mismatch deletes it so the next attempt starts clean.
 */
export async function downloadFile(url: string, dest: string, options: DownloadOptions): Promise<void> {
  const part = `${dest}.part`;
  await mkdir(dirname(dest), { recursive: true });
  let have = await stat(part).then(
    (s) => s.size,
    () => 0,
  );
  if (options.expectedSize !== undefined && have > options.expectedSize) {
    await unlink(part);
    have = 0;
  }
  if (options.expectedSize === undefined || have < options.expectedSize) {
    const headers: Record<string, string> = have > 0 ? { Range: `bytes=${have}-` } : {};
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: options.signal, redirect: 'follow' });
    } catch (err) {
      if (options.signal?.aborted) throw err;
      throw fetchFailure(err, url, options.label, 'download failed');
    }
    if (res.status === 404) throw new UserError(`${options.label}: not found on the server (HTTP 404)`, 'E_DOWNLOAD_404');
    if (res.status === 416 && options.expectedSize !== undefined && have === options.expectedSize) {
      // Already complete.
    } else {
      if (res.status !== 200 && res.status !== 206)
        throw new UserError(`${options.label}: download failed (HTTP ${res.status})`, 'E_DOWNLOAD');
      const append = res.status === 206 && have > 0;
      if (!append) have = 0;
      const length = Number(res.headers.get('content-length') ?? NaN);
      const total = options.expectedSize ?? (Number.isFinite(length) ? have + length : null);
      await receive(res, part, append, have, total, options);
    }
  }
  const size = (await stat(part)).size;
  if (options.expectedSize !== undefined && size !== options.expectedSize) {
    throw new UserError(
      `${options.label}: incomplete download (${size} of ${options.expectedSize} bytes); run the install again to resume`,
      'E_DOWNLOAD',
    );
  }
  if (options.expectedSha256) {
    const actual = await sha256File(part);
    if (actual !== options.expectedSha256) {
      await unlink(part);
      throw new UserError(
        `${options.label}: corrupt download (sha256 ${actual.slice(0, 12)}…, expected ${options.expectedSha256.slice(0, 12)}…); the partial file was deleted`,
        'E_PACK_CORRUPT',
      );
    }
  } else if (options.expectedGitSha1) {
    const actual = await gitBlobSha1(part);
    if (actual !== options.expectedGitSha1) {
      await unlink(part);
      throw new UserError(
        `${options.label}: corrupt download (git blob ${actual.slice(0, 12)}…, expected ${options.expectedGitSha1.slice(0, 12)}…); the partial file was deleted`,
        'E_PACK_CORRUPT',
      );
    }
  }
  await rename(part, dest);
}
