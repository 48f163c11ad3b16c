import { basename, dirname } from 'node:path';
import * as ort from 'onnxruntime-node';
import type * as TransformersModule from '@huggingface/transformers';
import type { FeatureExtractionPipeline, PreTrainedModel, PreTrainedTokenizer, Processor, Tensor } from '@huggingface/transformers';
import { createLogMel } from '../audio/log-mel.js';
import type { Precision } from './precision.js';

/**
 * transformers.js, imported on first use: a thread that only runs ONNX files (the inference worker with a
 * joint pack) never loads it, which saves that thread ~150 MB of resident memory (measured: a worker
 * importing the model service with transformers.js +190 MB, the joint model with onnxruntime-node alone +35 MB).
 */
type Transformers = typeof TransformersModule;
let transformers: Promise<Transformers> | null = null;
const hf = (): Promise<Transformers> => (transformers ??= import('@huggingface/transformers'));

/** Threads and batch size for inference; defaults leave one core for decoding and the rest of the app. */
export interface RuntimeOptions {
  /** ONNX Runtime intra-op threads (0 = let ONNX Runtime decide). */
  threads?: number;
  /** Segments per encoder run. */
  batchSize?: number;
  /**
   * Whether ONNX Runtime's intra-op threads spin between parallel sections (default: defaultSpinning()).
   */
  spinning?: boolean;
}

/**
 * Whether an audio encoder's ONNX Runtime intra-op threads spin while waiting for work: off unless
 * MOODSHELF_ORT_SPINNING=1 (label text encoders always spin: see ModelRuntime.sessionOptions).
 * A spinning thread keeps its core between parallel sections and after each run: with the decode worker
 * and the rest of the app sharing the cores during an analysis, that is CPU time they needed (measured
 * with CLAP's audio tower, 10 runs 30 ms apart: 3335 ms of CPU spinning, 2267 ms not, for the same work).
 */
export function defaultSpinning(): boolean {
  return process.env.MOODSHELF_ORT_SPINNING?.trim() === '1';
}

/**
 * ONNX Runtime's flush-to-zero and denormals-are-zero, on in every session. HTSAT's shifted-window attention
 * (CLAP's audio tower) masks with -100, so its softmax gives probabilities near e^-100, below float32's
 * smallest normal number, and multiplying such denormals is many times slower on x86: the attention-times-
 * values MatMul of the shifted blocks took 7-13 ms instead of 0.1-0.7 ms, and the whole tower 147 ms per
 * segment instead of 116 (profiled with the real-size random pack; the MERT-size encoder is unchanged). The
 * values flushed are below 1.2e-38, far under anything a score can show. The pool threads follow each
 * session's option; the thread creating the process's first session gets it for good (ONNX Runtime sets it
 * once), and threads started later inherit it, so {@link denormalsAsZero} runs before the inference worker starts.
 */
const DENORMALS_AS_ZERO = { set_denormal_as_zero: '1' } as const;

/** Identity on one float32: the smallest session there is (see {@link denormalsAsZero}). */
const IDENTITY_ONNX = 'CAgSCW1vb2RzaGVsZjo3ChAKAXgSAXkiCElkZW50aXR5EgFnWg8KAXgSCgoICAESBAoCCAFiDwoBeRIKCggIARIECgIIAUIECgAQDQ==';
let floatMode: Promise<void> | null = null;

/**
 * Puts this thread, and the threads it starts from now on (they inherit it), in ONNX Runtime's
 * denormals-as-zero mode (see {@link DENORMALS_AS_ZERO}) by creating one tiny session here, unless a session
 * was already created in the process (which set it on its own thread). Called before starting the inference
 * worker, so the thread that runs the audio encoder has it whichever thread created the first session. For
 * JavaScript on these threads it means numbers below 2.2e-308 count as 0: nothing of the app's lives there.
 */
export function denormalsAsZero(): Promise<void> {
  floatMode ??= ort.InferenceSession.create(Buffer.from(IDENTITY_ONNX, 'base64'), { extra: { session: DENORMALS_AS_ZERO } }).then(
    (s) => s.release(),
    () => undefined,
  );
  return floatMode;
}

/** What the fast path reads of transformers.js's ClapFeatureExtractor (its config and the tables it built). */
interface ClapExtractor {
  config?: { feature_extractor_type?: string; fft_window_size?: number; hop_length?: number; nb_max_samples?: number; truncation?: string };
  mel_filters_slaney?: number[][];
  window?: Float64Array;
}

/**
 * CLAP's input features without transformers.js's spectrogram (see log-mel.ts for why), for a segment of
 * exactly the extractor's nb_max_samples (the analysis's windows are): no truncation or padding, whose
 * random crop and repeat-padding stay the processor's.
 */
function clapFeatures(processor: Processor, t: Transformers): ClapAudioParts['features'] {
  const fe = (processor as unknown as { feature_extractor?: ClapExtractor }).feature_extractor;
  const c = fe?.config;
  if (
    !fe?.mel_filters_slaney ||
    !fe.window ||
    c?.feature_extractor_type !== 'ClapFeatureExtractor' ||
    c.truncation === 'fusion' ||
    !c.fft_window_size ||
    !c.hop_length ||
    !c.nb_max_samples
  )
    return () => null;
  const logMel = createLogMel({ filters: fe.mel_filters_slaney, window: fe.window, fftLength: c.fft_window_size, hop: c.hop_length });
  const samples = c.nb_max_samples;
  return (segments) => {
    if (segments.length === 0 || segments.some((s) => s.length !== samples)) return null;
    const rows = segments.map((s) => logMel(s));
    const { frames, mels } = rows[0] as ReturnType<typeof logMel>;
    const data = new Float32Array(rows.length * frames * mels);
    rows.forEach((r, i) => data.set(r.data, i * frames * mels));
    return { input_features: new t.Tensor('float32', data, [rows.length, 1, frames, mels]) };
  };
}

/**
 * What a session runs, which sets its options (ModelRuntime.sessionOptions): audio (a joint pack's encoder
 * or head, CLAP's audio tower) or a label text encoder.
 */
type SessionRole = 'audio' | 'text';

/** A float32 tensor's data and shape, as the rest of the core sees it (no ONNX types leak out). */
export interface TensorData {
  data: Float32Array;
  dims: readonly number[];
}

/** The audio side of a transformers.js CLAP: feature extractor and audio tower (what analysis needs). */
export interface ClapAudioParts {
  processor: Processor;
  audio: PreTrainedModel;
  /**
   * The audio tower's inputs for a batch of segments (one row each), computed by {@link createLogMel} with
   * the feature extractor's own filters and window (the processor's numbers to float rounding, at a fraction
   * of its CPU time), or null when a segment or the extractor is not the case it covers (then call the
   * processor, one segment at a time).
   */
  features(segments: Float32Array[]): Record<string, Tensor> | null;
}

/** The text side of a transformers.js CLAP: tokenizer and text tower (what label embedding needs). */
export interface ClapTextParts {
  text: PreTrainedModel;
  tokenizer: PreTrainedTokenizer;
}

/** A loaded transformers.js CLAP: feature extractor, audio and text towers, tokenizer. */
export type ClapParts = ClapAudioParts & ClapTextParts;

/**
 * The one place that owns ML sessions: ONNX Runtime sessions (audio encoder, head) and transformers.js
 * pipelines (label encoders) are created here, cached by file, run, and disposed together. Everything
 * runs in Node (the core host process), never in the renderer.
 */
export class ModelRuntime {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  private readonly textPipelines = new Map<string, Promise<FeatureExtractionPipeline>>();
  private readonly clapAudios = new Map<string, Promise<ClapAudioParts>>();
  private readonly clapTexts = new Map<string, Promise<ClapTextParts>>();
  /** transformers.js reads its model folder from a global; loads are serialised so two never race. */
  private static loading: Promise<unknown> = Promise.resolve();
  readonly threads: number;
  readonly batchSize: number;
  readonly spinning: boolean;

  constructor(options: RuntimeOptions = {}) {
    this.threads = options.threads ?? 0;
    this.batchSize = Math.max(1, options.batchSize ?? 1);
    this.spinning = options.spinning ?? defaultSpinning();
  }

  /**
   * ONNX Runtime's default intra-op thread count (threads 0) is one per physical core, measured as fast as
   * setting it (2 on a 2-core machine: MERT-size encoder ~0.87 s per segment either way, 1 thread 1.8 s). The
   * memory pattern (one block planned for all activations of a shape) is off: the arena still reuses
   * freed buffers, a MERT-size encoder peaks ~200 MB lower at batch 1 and ~400 MB lower at batch 2, and its
   * speed did not change measurably (bench:analyze; CLAP's audio tower: no change either way).
   *
   * Weights are pre-packed: MLAS keeps a packed copy of every constant MatMul weight beside the original
   * instead of packing it again in every run. For the MERT-size encoder that is ~186 MB more resident memory
   * (its session 661 MB after loading, 475 MB without) for up to 4 % per segment (bench:analyze: best 1.008-1.047
   * against 1.050 s; a whole joint analysis, the app's path on the built core, peaks at
   * 1068 MB with it). CLAP's audio tower: 8 % per segment (profiled, interleaved: 124 vs
   * 114 ms), its copy ~110 MB.
   * Label text encoders (role 'text') have their threads spin: they run a few tokens through
   * large weights while a user waits, so packing the weights again on every run dominates, and so does
   * waking sleeping threads for each of many small operators (bench:zero-shot on a quiet machine, a new
   * label through scores-label: 512-d CLAP text tower 70.8 ms with neither, 39.3 ms pre-packed, 33.2 ms
   * pre-packed and spinning; 384-d MiniLM size 11.7, 11.9 and 7.3 ms).
   * The intra-op threads do not spin (see defaultSpinning): CLAP's audio tower took 2267 instead of
   * 3335 ms of CPU for the same 10 runs, and the MERT-size encoder's best time was 995 ms not spinning,
   * 1360 ms spinning, at load ~3. Where MOODSHELF_ORT_SPINNING=1 makes an audio encoder spin, its threads
   * stop spinning when a run ends (force_spinning_stop), so they spin only inside a run: CLAP's tower alone
   * then runs ~12 % faster, but an analysis did 9 % fewer segments per second (bench:analyze, 6.9 vs 7.6
   * end to end), the spinning taking the core the decoding needs.
   */
  private sessionOptions(role: SessionRole): ort.InferenceSession.SessionOptions {
    const text = role === 'text';
    const spin = text || this.spinning;
    return {
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      enableMemPattern: false,
      extra: {
        session: {
          disable_prepacking: '0',
          'intra_op.allow_spinning': spin ? '1' : '0',
          ...(spin && !text ? { force_spinning_stop: '1' } : {}),
          ...DENORMALS_AS_ZERO,
        },
      },
      ...(this.threads > 0 ? { intraOpNumThreads: this.threads, interOpNumThreads: 1 } : {}),
    };
  }

  /** The session for an ONNX file, created once. */
  session(file: string): Promise<ort.InferenceSession> {
    let s = this.sessions.get(file);
    if (!s) {
      s = ort.InferenceSession.create(file, this.sessionOptions('audio'));
      this.sessions.set(file, s);
      s.catch(() => this.sessions.delete(file));
    }
    return s;
  }

  /** Runs one float32 input through an ONNX file and returns the named output. */
  async run(file: string, inputName: string, input: TensorData, outputName: string): Promise<TensorData> {
    const session = await this.session(file);
    const feeds = { [inputName]: new ort.Tensor('float32', input.data, input.dims as number[]) };
    const out = await session.run(feeds);
    const t = out[outputName];
    if (!t) throw new Error(`${file}: no output named "${outputName}" (it has ${session.outputNames.join(', ')})`);
    const result = { data: t.data as Float32Array, dims: [...t.dims] };
    for (const v of Object.values(out)) v.dispose();
    return result;
  }

  /** Input and output names of an ONNX file (for shape and contract checks). */
  async signature(file: string): Promise<{ inputs: readonly string[]; outputs: readonly string[] }> {
    const s = await this.session(file);
    return { inputs: s.inputNames, outputs: s.outputNames };
  }

  /**
   * A transformers.js feature-extraction pipeline over a local model folder (never the network).
   * transformers.js resolves a model id under the global `env.localModelPath`, so the folder's parent
   * becomes that path and its name the id, one load at a time.
   */
  textPipeline(folder: string, dtype: Precision = 'fp32'): Promise<FeatureExtractionPipeline> {
    return this.loadLocal(
      this.textPipelines,
      folder,
      `${dtype}`,
      async (id, t) => (await t.pipeline('feature-extraction', id, this.modelOptions(dtype, 'text'))) as FeatureExtractionPipeline,
    );
  }

  /**
   * The CLAP towers and preprocessing of a transformers.js CLAP folder (the Xenova/clap-* layout), each
   * tower in its own precision: `q8` loads `onnx/audio_model_quantized.onnx`, `fp16` the `_fp16` file.
   * Loads both sides; the app loads each side only where it is used ({@link clapAudio}, {@link clapText}).
   */
  async clap(folder: string, dtypes: { audio?: Precision; text?: Precision } = {}): Promise<ClapParts> {
    const audio = await this.clapAudio(folder, dtypes.audio);
    const text = await this.clapText(folder, dtypes.text);
    return { ...audio, ...text };
  }

  /**
   * The audio side of a CLAP folder, loaded on its own: the analysis (in its inference worker) never embeds
   * label text, and a RoBERTa-base text tower held there for nothing is ~700 MB of resident memory
   * (measured: the real-size audio tower session ~230 MB, the text tower ~716 MB).
   */
  clapAudio(folder: string, dtype: Precision = 'fp32'): Promise<ClapAudioParts> {
    return this.loadLocal(this.clapAudios, folder, dtype, async (id, t) => {
      const processor = await t.AutoProcessor.from_pretrained(id, { local_files_only: true });
      const audio = await t.ClapAudioModelWithProjection.from_pretrained(id, this.modelOptions(dtype, 'audio'));
      return { processor, audio, features: clapFeatures(processor, t) };
    });
  }

  /** The text side of a CLAP folder, loaded on its own (label text only: the core's thread, never the analysis). */
  clapText(folder: string, dtype: Precision = 'fp32'): Promise<ClapTextParts> {
    return this.loadLocal(this.clapTexts, folder, dtype, async (id, t) => ({
      text: await t.ClapTextModelWithProjection.from_pretrained(id, this.modelOptions(dtype, 'text')),
      tokenizer: await t.AutoTokenizer.from_pretrained(id, { local_files_only: true }),
    }));
  }

  /**
   * transformers.js options for a local model in one precision. fp16 graphs get ONNX Runtime's basic
   * optimisations only: the extended layer-norm fusions have been reported to break loading fp16 exports
   * of CLAP's text tower ("InsertedPrecisionFreeCast" mismatch), and fp16 gains nothing from them on a CPU.
   * `role`: what the session runs (see sessionOptions).
   */
  private modelOptions(
    dtype: Precision,
    role: SessionRole,
  ): {
    dtype: Precision;
    local_files_only: true;
    session_options: ort.InferenceSession.SessionOptions;
  } {
    const session_options = this.sessionOptions(role);
    if (dtype === 'fp16' || dtype === 'q4f16') session_options.graphOptimizationLevel = 'basic';
    return { dtype, local_files_only: true, session_options };
  }

  private loadLocal<T>(
    cache: Map<string, Promise<T>>,
    folder: string,
    variant: string,
    load: (id: string, t: Transformers) => Promise<T>,
  ): Promise<T> {
    const key = `${folder}#${variant}`;
    let p = cache.get(key);
    if (!p) {
      const run = async (): Promise<T> => {
        const t = await hf();
        t.env.allowRemoteModels = false;
        t.env.allowLocalModels = true;
        t.env.localModelPath = `${dirname(folder)}/`;
        return load(basename(folder), t);
      };
      p = ModelRuntime.loading.then(run, run);
      ModelRuntime.loading = p.catch(() => undefined);
      cache.set(key, p);
      p.catch(() => cache.delete(key));
    }
    return p;
  }

  /** Releases every session and pipeline. */
  async dispose(): Promise<void> {
    const sessions = [...this.sessions.values()];
    const pipes = [...this.textPipelines.values()];
    const clapAudios = [...this.clapAudios.values()];
    const clapTexts = [...this.clapTexts.values()];
    this.sessions.clear();
    this.textPipelines.clear();
    this.clapAudios.clear();
    this.clapTexts.clear();
    await Promise.all([
      ...sessions.map((s) => s.then((x) => x.release()).catch(() => undefined)),
      ...pipes.map((p) => p.then((x) => x.dispose()).catch(() => undefined)),
      ...clapAudios.map((p) => p.then((x) => x.audio.dispose()).catch(() => undefined)),
      ...clapTexts.map((p) => p.then((x) => x.text.dispose()).catch(() => undefined)),
    ]);
  }
}
