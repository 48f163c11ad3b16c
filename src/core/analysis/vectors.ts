/** Stores a float32 vector as a BLOB (little-endian, as every platform we ship on). */
export function toBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Reads a BLOB back into a float32 vector (copying when SQLite's buffer is not 4-byte aligned). */
export function fromBlob(b: Buffer | Uint8Array): Float32Array {
  if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4).slice();
  return new Float32Array(new Uint8Array(b).buffer);
}

/** Dot product of two equal-length vectors (the cosine, when both are unit length). */
export function dot(a: Float32Array, b: Float32Array, aOffset = 0): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = b.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += (a[aOffset + i] as number) * (b[i] as number);
    s1 += (a[aOffset + i + 1] as number) * (b[i + 1] as number);
    s2 += (a[aOffset + i + 2] as number) * (b[i + 2] as number);
    s3 += (a[aOffset + i + 3] as number) * (b[i + 3] as number);
  }
  for (; i < n; i++) s0 += (a[aOffset + i] as number) * (b[i] as number);
  return s0 + s1 + s2 + s3;
}

/** Mean of vectors (the track embedding from its normalised segment embeddings). */
export function meanVector(vs: Float32Array[]): Float32Array {
  const d = vs[0]?.length ?? 0;
  const out = new Float32Array(d);
  for (const v of vs) for (let i = 0; i < d; i++) out[i] = (out[i] as number) + (v[i] as number);
  for (let i = 0; i < d; i++) out[i] = (out[i] as number) / (vs.length || 1);
  return out;
}
