import type { Db } from '../kernel/database.js';
import type { ModelService } from '../model/service.js';
import type { IndexCache } from './embedding-index.js';

/** A label's personal vector (see core/personal) and a stamp that changes whenever the vector does. */
export interface PersonalVector {
  vector: Float32Array;
  stamp: string;
}

/**
 * Where scoring finds the personal vector of a label: only where it is active (enough decisions, better
 * than zero-shot in cross-validation, not switched off). Null keeps the zero-shot vector.
 */
export interface PersonalVectors {
  vectorFor(packKey: string, label: string): PersonalVector | null;
}

/**
 * What scoring a label over the library needs (rankings, mood chips, playlists, song tags, exports):
 * the database, the active pack and its model, and the cached embedding index. Handlers take this
 * bundle rather than the whole core.
 */
export interface ScoringDeps {
  db: Db;
  models: Pick<ModelService, 'active' | 'activeModel'>;
  index: IndexCache;
  /** Personal label vectors used in place of zero-shot ones where active (absent: zero-shot everywhere). */
  personal?: PersonalVectors;
}
