import { UserError } from '../kernel/errors.js';

/**
 * The precisions a transformers.js repository can offer, by their transformers.js `dtype` name. Each one
 * is a set of files with a suffix: `onnx/audio_model_quantized.onnx` is the `q8` audio tower.
 */
export const PRECISION_SUFFIX = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
} as const;

/** A transformers.js dtype: which ONNX files of a model are loaded. */
export type Precision = keyof typeof PRECISION_SUFFIX;

/** Every precision name this build knows, in a stable order. */
export const PRECISIONS = Object.keys(PRECISION_SUFFIX) as Precision[];

/** Names people type for a precision, beside the dtype names themselves. */
const ALIASES: Record<string, Precision> = { quantized: 'q8', full: 'fp32', float32: 'fp32', float16: 'fp16', half: 'fp16' };

/** Parses a precision name (`fp32`, `fp16`, `q8` or `quantized`, ...), naming the allowed ones on error. */
export function parsePrecision(value: string, where = 'precision'): Precision {
  const v = value.trim().toLowerCase();
  const p = ALIASES[v] ?? (PRECISIONS as string[]).find((x) => x === v);
  if (!p) throw new UserError(`${where}: unknown precision "${value}" (use ${PRECISIONS.join(', ')} or quantized)`, 'E_PACK_SOURCE');
  return p as Precision;
}

/** True when `value` names a precision (dtype or alias). */
export function isPrecision(value: unknown): value is Precision {
  return typeof value === 'string' && (PRECISIONS as string[]).includes(value);
}

/** The ONNX file of model `base` (e.g. "onnx/audio_model") in a precision: "onnx/audio_model_fp16.onnx". */
export function onnxFile(base: string, precision: Precision): string {
  return `${base}${PRECISION_SUFFIX[precision]}.onnx`;
}

/** How a precision is called on screen. */
export function precisionLabel(p: Precision): string {
  switch (p) {
    case 'fp32':
      return 'full precision (fp32)';
    case 'fp16':
      return 'half precision (fp16)';
    case 'q8':
      return 'quantized (8-bit)';
    default:
      return p;
  }
}
