import type { Db } from '../kernel/database.js';
import type { ModelService } from '../model/service.js';
import type { IndexCache } from './embedding-index.js';

/**
 * What scoring a label over the library needs (rankings, mood chips, playlists, song tags, exports):
 * the database, the active pack and its model, and the cached embedding index. Handlers take this
 * bundle rather than the whole core.
 */
export interface ScoringDeps {
  db: Db;
  models: Pick<ModelService, 'active' | 'activeModel'>;
  index: IndexCache;
}
