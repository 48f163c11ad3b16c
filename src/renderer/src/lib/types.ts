// Shapes the renderer uses, all derived from the core's handler contract (types only).
import type { CoreEvents, HandlerResult } from '../../../core/contract.js';

/** A track row as the library lists it. */
export type Track = HandlerResult<'tracks-list'>['tracks'][number];
/** A track's scores, segments and song-level tags. */
export type TrackScores = HandlerResult<'scores-track'>;
/** One label of a vocabulary. */
export type LabelEntry = HandlerResult<'labels-list'>[number];
/** A label's ranking as scores-label sends it: best first, as columns (track ids, scores, percentiles). */
export type LabelRanking = HandlerResult<'scores-label'>;
/** A track ranked for a label. */
export type RankedTrack = HandlerResult<'scores-top'>[number];
/** An installed model pack. */
export type InstalledPack = HandlerResult<'models-list'>[number];
/** A recommended pack. */
export type CatalogEntry = HandlerResult<'models-catalog'>[number];
/** A library folder. */
export type LibraryFolder = HandlerResult<'library-folders'>[number];
/** The analysis queue's state. */
export type AnalysisStatus = HandlerResult<'analysis-status'>;
/** A finished analysis run. */
export type AnalysisSummary = CoreEvents['analysis-finished'];
/** Install progress of a pack. */
export type InstallProgress = CoreEvents['model-install-progress'];
/** The views of the main window. */
export type View = 'library' | 'labels' | 'playlists' | 'analysis' | 'models' | 'filetags' | 'settings';
