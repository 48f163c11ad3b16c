import type { Db } from '../db/database.js';
import type { LibraryService } from '../library/service.js';
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
}
