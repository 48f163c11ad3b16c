import { basename, dirname } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  AutoProcessor,
  AutoTokenizer,
  ClapAudioModelWithProjection,
  ClapTextModelWithProjection,
  env as hfEnv,
  pipeline,
  type FeatureExtractionPipeline,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type Processor,
} from '@huggingface/transformers';
import type { Precision } from './precision.js';

/** Threads and batch size for inference; defaults leave one core for decoding and the rest of the app. */
export interface RuntimeOptions {
  /** ONNX Runtime intra-op threads (0 = let ONNX Runtime decide). */
  threads?: number;
  /** Segments per encoder run. */
  batchSize?: number;
}

/** A float32 tensor's data and shape, as the rest of the core sees it (no ONNX types leak out). */
export interface TensorData {
  data: Float32Array;
  dims: readonly number[];
}

/** A loaded transformers.js CLAP: feature extractor, audio and text towers, tokenizer. */
export interface ClapParts {
  processor: Processor;
  audio: PreTrainedModel;
  text: PreTrainedModel;
  tokenizer: PreTrainedTokenizer;
}

/**
 * The one place that owns ML sessions: ONNX Runtime sessions (audio encoder, head) and transformers.js
 * pipelines (label encoders) are created here, cached by file, run, and disposed together. Everything
 * runs in Node (the core host process), never in the renderer.
 */
export class ModelRuntime {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();
  private readonly textPipelines = new Map<string, Promise<FeatureExtractionPipeline>>();
  private readonly claps = new Map<string, Promise<ClapParts>>();
  /** transformers.js reads its model folder from a global; loads are serialised so two never race. */
  private static loading: Promise<unknown> = Promise.resolve();
  readonly threads: number;
  readonly batchSize: number;

  constructor(options: RuntimeOptions = {}) {
    this.threads = options.threads ?? 0;
    this.batchSize = Math.max(1, options.batchSize ?? 1);
  }

  /**
   * ONNX Runtime's default intra-op thread count (threads 0) is one per physical core, measured as fast as
   * setting it (2 on a 2-core machine: MERT-size encoder ~0.87 s per segment either way, 1 thread 1.8 s). The
   * memory pattern (one block planned for all activations of a shape) is off: the arena still reuses
   * freed buffers, a MERT-size encoder peaks ~200 MB lower at batch 1 and ~400 MB lower at batch 2, and its
   * speed did not change measurably (bench:analyze; CLAP's audio tower: no change either way).
   */
  private sessionOptions(): ort.InferenceSession.SessionOptions {
    return {
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      enableMemPattern: false,
      ...(this.threads > 0 ? { intraOpNumThreads: this.threads, interOpNumThreads: 1 } : {}),
    };
  }

  /** The session for an ONNX file, created once. */
  session(file: string): Promise<ort.InferenceSession> {
    let s = this.sessions.get(file);
    if (!s) {
      s = ort.InferenceSession.create(file, this.sessionOptions());
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
      async (id) => (await pipeline('feature-extraction', id, this.modelOptions(dtype))) as FeatureExtractionPipeline,
    );
  }

  /**
   * The CLAP towers and preprocessing of a transformers.js CLAP folder (the Xenova/clap-* layout), each
   * tower in its own precision: `q8` loads `onnx/audio_model_quantized.onnx`, `fp16` the `_fp16` file.
   */
  clap(folder: string, dtypes: { audio?: Precision; text?: Precision } = {}): Promise<ClapParts> {
    const audio = dtypes.audio ?? 'fp32';
    const text = dtypes.text ?? 'fp32';
    return this.loadLocal(this.claps, folder, `${audio}/${text}`, async (id) => ({
      processor: await AutoProcessor.from_pretrained(id, { local_files_only: true }),
      audio: await ClapAudioModelWithProjection.from_pretrained(id, this.modelOptions(audio)),
      text: await ClapTextModelWithProjection.from_pretrained(id, this.modelOptions(text)),
      tokenizer: await AutoTokenizer.from_pretrained(id, { local_files_only: true }),
    }));
  }

  /**
   * transformers.js options for a local model in one precision. fp16 graphs get ONNX Runtime's basic
   * optimisations only: the extended layer-norm fusions have been reported to break loading fp16 exports
   * of CLAP's text tower ("InsertedPrecisionFreeCast" mismatch), and fp16 gains nothing from them on a CPU.
   */
  private modelOptions(dtype: Precision): {
    dtype: Precision;
    local_files_only: true;
    session_options: ort.InferenceSession.SessionOptions;
  } {
    const session_options = this.sessionOptions();
    if (dtype === 'fp16' || dtype === 'q4f16') session_options.graphOptimizationLevel = 'basic';
    return { dtype, local_files_only: true, session_options };
  }

  private loadLocal<T>(cache: Map<string, Promise<T>>, folder: string, variant: string, load: (id: string) => Promise<T>): Promise<T> {
    const key = `${folder}#${variant}`;
    let p = cache.get(key);
    if (!p) {
      const run = (): Promise<T> => {
        hfEnv.allowRemoteModels = false;
        hfEnv.allowLocalModels = true;
        hfEnv.localModelPath = `${dirname(folder)}/`;
        return load(basename(folder));
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
    const claps = [...this.claps.values()];
    this.sessions.clear();
    this.textPipelines.clear();
    this.claps.clear();
    await Promise.all([
      ...sessions.map((s) => s.then((x) => x.release()).catch(() => undefined)),
      ...pipes.map((p) => p.then((x) => x.dispose()).catch(() => undefined)),
      ...claps.map((p) => p.then((x) => Promise.all([x.audio.dispose(), x.text.dispose()])).catch(() => undefined)),
    ]);
  }
}
