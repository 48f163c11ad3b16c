import type { Db } from '../db/database.js';
import type { AnalysisService } from '../analysis/service.js';
import type { EmbeddingIndex } from '../analysis/embedding-index.js';
import type { LibraryService } from '../library/service.js';
import type { ModelService } from '../model/service.js';
import type { Logger } from '../util/logger.js';
import type { EventBus } from './events.js';

/** What every handler gets: the database, the event bus, the logger and long-lived services. */
export interface CoreContext {
  dataDir: string;
  dbPath: string;
  db: Db;
  events: EventBus;
  log: Logger;
  library: LibraryService;
  models: ModelService;
  analysis: AnalysisService;
  /** The active pack's stored embeddings, cached in memory for scoring. */
  index: { get(packKey: string): EmbeddingIndex; invalidate(): void };
}
