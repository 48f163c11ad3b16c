import type { EmbeddingIndex, IndexCache } from '../analysis/embedding-index.js';
import type { PersonalVector, PersonalVectors } from '../analysis/scoring-deps.js';
import { dot } from '../analysis/vectors.js';
import type { Db } from '../kernel/database.js';
import { UserError, errorMessage } from '../kernel/errors.js';
import type { Emitter } from '../kernel/events.js';
import type { Logger } from '../kernel/logger.js';
import { labelVectors } from '../labels/embeddings.js';
import { scoringLabelVectors } from '../labels/paper-vectors.js';
import { allVocabularies, embeddedText, labelEntries } from '../labels/store.js';
import type { ModelService } from '../model/service.js';
import { getTracks, type Track } from '../tracks/queries.js';
import { MIN_ACCEPTED, MIN_GAIN, MIN_REJECTED, enoughDecisions, fitLabel, hash32, type Decision } from './fit.js';
import type { PersonalEvents } from './events.js';
import {
  deleteModel,
  disabledLabels,
  labelKey,
  labelsWithDecisions,
  personalEnabled,
  readDecisions,
  readModel,
  readModels,
  setPersonalEnabled,
  writeModel,
  type StoredModel,
} from './store.js';

/** Why a label's personal model is or is not used. */
export type PersonalStatus = 'active' | 'too-few' | 'not-better' | 'off' | 'not-analysed';

/** What `labels-personal` shows for a label: its decisions, the cross-validated figures, and whether it is used. */
export interface PersonalFigures {
  label: string;
  packKey: string;
  /** Decisions on any track (tags of any source count as accepted). */
  accepted: number;
  rejected: number;
  /** Decisions a model needs (each side). */
  threshold: { accepted: number; rejected: number };
  /** The user's switch (on unless turned off). */
  enabled: boolean;
  /** Whether scores for this label use the personal model now. */
  active: boolean;
  status: PersonalStatus;
  /** One sentence saying why, for the app and the CLI. */
  reason: string;
  /** The fitted model and its k-fold figures (null below the threshold). */
  model: {
    /** Decisions on analysed tracks the model was fitted from. */
    accepted: number;
    rejected: number;
    folds: number;
    /** How often an accepted track ranks above a rejected one: zero-shot, and personal out of fold. */
    zeroShotAuc: number;
    personalAuc: number | null;
    /** The step away from the zero-shot vector and the cosine between the two vectors. */
    alpha: number;
    cosineToZeroShot: number;
    better: boolean;
    fittedAt: string;
  } | null;
}

/** A track near the asked one among the tracks the user tagged: "why is this here". */
export interface WhyNeighbour {
  track: Track;
  /** Cosine of the two tracks' embeddings. */
  similarity: number;
  /** The neighbour's tags (the asked label first when there is one). */
  labels: string[];
}

/** What `tracks-why` answers. */
export interface WhyResult {
  trackId: number;
  label: string | null;
  /** Whether the label's scores use the personal model now. */
  personal: boolean;
  neighbours: WhyNeighbour[];
}

/** What a background pass did. */
export interface RefitSummary {
  checked: number;
  refitted: number;
  removed: number;
}

/** The personal-labels service: fits, stores and serves personal vectors, and refits them in the background. */
export interface PersonalService extends PersonalVectors {
  /** Refits (debounced) every label whose decisions changed; returns at once. */
  schedule(): void;
  /** Runs a pending or running pass to its end now (tests, the bench, the CLI). */
  flush(): Promise<RefitSummary>;
  /** Brings one label's model up to date now and returns its figures. */
  refit(label: string): Promise<PersonalFigures>;
  /** A label's figures as stored (after bringing its model up to date). */
  figures(label: string): Promise<PersonalFigures>;
  /** Figures of every label that has decisions, as stored (no refit: for lists). */
  list(): PersonalFigures[];
  /** Turns a label's personal model on or off (kept either way). */
  setEnabled(label: string, enabled: boolean): Promise<PersonalFigures>;
  /** The tagged tracks nearest to a track (with `label`: those accepted for it). */
  why(trackId: number, label: string | undefined, limit: number): WhyResult;
  close(): Promise<void>;
}

/** What the service needs: the database, the active pack and model, the embedding index, events, a logger. */
export interface PersonalServiceDeps {
  db: Db;
  models: Pick<ModelService, 'active' | 'activeModel'>;
  index: IndexCache;
  events: Emitter<PersonalEvents>;
  log: Logger;
  /** Wait after the last tag change before a pass (default 300 ms). */
  debounceMs?: number;
  paperVectorsFile?: string;
}

const emptySummary = (): RefitSummary => ({ checked: 0, refitted: 0, removed: 0 });

/** Creates the service. Nothing runs until a pass is scheduled or a label is asked for. */
export function createPersonalService(deps: PersonalServiceDeps): PersonalService {
  const { db, models, log } = deps;
  const debounceMs = deps.debounceMs ?? 300;
  /** Active vectors by pack, then by label key: loaded from the database on first use, dropped on change. */
  const active = new Map<string, Map<string, PersonalVector>>();
  let timer: NodeJS.Timeout | null = null;
  let pass: Promise<RefitSummary> | null = null;
  let again = false;
  let closed = false;
  /** All fitting runs one at a time (a pass and a request for the same label never interleave). */
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };

  const activePack = (): string | null => {
    try {
      return models.active().pack.key;
    } catch {
      return null;
    }
  };

  const manifestOrUndefined = (): ReturnType<ModelService['active']>['manifest'] | undefined => {
    try {
      return models.active().manifest;
    } catch {
      return undefined;
    }
  };

  /** The label's zero-shot vector as scoring uses it: a vocabulary label's embedded text (paper vectors included), else the text. */
  const zeroShotVector = async (label: string): Promise<Float32Array> => {
    const { pack, manifest } = models.active();
    const key = labelKey(label);
    const entry = labelEntries(allVocabularies(db, manifest)).find((e) => labelKey(e.name) === key);
    if (entry) {
      const [v] = await scoringLabelVectors({ db, models, paperVectorsFile: deps.paperVectorsFile }, [
        { vocabulary: entry.vocabulary, name: entry.name, text: embeddedText(entry.name, entry.description) },
      ]);
      return v as Float32Array;
    }
    const [v] = await labelVectors(db, pack.key, models.activeModel(), [label]);
    return v as Float32Array;
  };

  const changed = (label: string, packKey: string, reason: PersonalEvents['personal-model-changed']['reason']): void => {
    active.delete(packKey);
    const v = vectorFor(packKey, label);
    deps.events.emit('personal-model-changed', { label, packKey, active: v !== null, reason });
  };

  /** Fits one label against an index snapshot unless what it was fitted from is unchanged. */
  const refitOne = async (label: string, packKey: string, index: EmbeddingIndex): Promise<'refit' | 'removed' | 'same'> => {
    const dec = readDecisions(db, label);
    const stored = readModel(db, packKey, label);
    if (!enoughDecisions(dec.accepted.length, dec.rejected.length)) {
      if (stored && deleteModel(db, packKey, label)) {
        changed(label, packKey, 'removed');
        return 'removed';
      }
      return 'same';
    }
    const decisions: Decision[] = [];
    const analysed: string[] = [];
    for (const [ids, accepted] of [
      [dec.accepted, true],
      [dec.rejected, false],
    ] as const) {
      for (const id of ids) {
        const row = index.rowOf.get(id);
        if (row === undefined) continue;
        decisions.push({ row, accepted });
        analysed.push(`${accepted ? '+' : '-'}${id}`);
      }
    }
    const w0 = await zeroShotVector(label);
    if (w0.length !== index.dim) {
      log.warn('personal: the label vector and the stored embeddings differ in size', { label, packKey });
      return stored && deleteModel(db, packKey, label) ? (changed(label, packKey, 'removed'), 'removed') : 'same';
    }
    const stamp = `${index.dim}:${hash32(Array.from(w0).join(','))}:${hash32(analysed.join(','))}:${analysed.length}`;
    if (stored?.decisionsStamp === stamp) return 'same';
    const fit = fitLabel({ data: index.tracks, dim: index.dim }, w0, decisions, hash32(labelKey(label)));
    if (!fit) {
      // Enough decisions, but not enough on analysed tracks.
      if (stored && deleteModel(db, packKey, label)) {
        changed(label, packKey, 'removed');
        return 'removed';
      }
      return 'same';
    }
    writeModel(db, packKey, stored?.label ?? label, fit, stamp);
    changed(stored?.label ?? label, packKey, 'refit');
    return 'refit';
  };

  const runPass = async (): Promise<RefitSummary> => {
    const summary = emptySummary();
    const packKey = activePack();
    if (!packKey || closed) return summary;
    const index = deps.index.get(packKey);
    const candidates = new Map<string, string>();
    // Only labels at the threshold are fitted (no text of a one-off tag is ever embedded for this), plus
    // those with a model to drop.
    for (const l of labelsWithDecisions(db)) {
      if (l.accepted >= MIN_ACCEPTED && l.rejected >= MIN_REJECTED) candidates.set(labelKey(l.label), l.label);
    }
    for (const m of readModels(db, packKey)) if (!candidates.has(labelKey(m.label))) candidates.set(labelKey(m.label), m.label);
    for (const label of candidates.values()) {
      if (closed) break;
      summary.checked++;
      try {
        const r = await serial(() => refitOne(label, packKey, index));
        if (r === 'refit') summary.refitted++;
        if (r === 'removed') summary.removed++;
      } catch (err) {
        log.warn('personal: refit failed', { label, err: errorMessage(err) });
      }
      // Let requests in between labels.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (summary.refitted + summary.removed > 0) log.info('personal: refitted labels', { ...summary });
    return summary;
  };

  const startPass = (): Promise<RefitSummary> => {
    if (pass) {
      again = true;
      return pass;
    }
    const p = runPass().finally(() => {
      pass = null;
      if (again && !closed) {
        again = false;
        schedule();
      }
    });
    pass = p;
    return p;
  };

  function schedule(): void {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      startPass().catch((err: unknown) => log.warn('personal: pass failed', { err: errorMessage(err) }));
    }, debounceMs);
    timer.unref();
  }

  function vectorFor(packKey: string, label: string): PersonalVector | null {
    let byLabel = active.get(packKey);
    if (!byLabel) {
      byLabel = new Map();
      const off = disabledLabels(db);
      const fitted = readModels(db, packKey).filter((m) => m.better && !off.has(labelKey(m.label)));
      // A label is also asked for by the text embedded for it (its description, as the labels view ranks it).
      const descriptions = new Map<string, string>();
      if (fitted.length > 0) {
        for (const e of labelEntries(allVocabularies(db, manifestOrUndefined())))
          if (e.description && !descriptions.has(labelKey(e.name))) descriptions.set(labelKey(e.name), e.description);
      }
      for (const m of fitted) {
        const pv = { vector: m.vector, stamp: `personal:${m.decisionsStamp}:${m.fittedAt}` };
        byLabel.set(labelKey(m.label), pv);
        const description = descriptions.get(labelKey(m.label));
        if (description && !byLabel.has(labelKey(description))) byLabel.set(labelKey(description), pv);
      }
      active.set(packKey, byLabel);
    }
    return byLabel.get(labelKey(label)) ?? null;
  }

  const figuresOf = (
    label: string,
    packKey: string,
    m: StoredModel | null,
    counts?: { accepted: number; rejected: number },
  ): PersonalFigures => {
    const c =
      counts ??
      (() => {
        const d = readDecisions(db, label);
        return { accepted: d.accepted.length, rejected: d.rejected.length };
      })();
    const enabled = personalEnabled(db, label);
    const isActive = m !== null && m.better && enabled;
    let status: PersonalStatus;
    let reason: string;
    if (!enoughDecisions(c.accepted, c.rejected)) {
      status = 'too-few';
      reason = `Needs ${MIN_ACCEPTED} accepted and ${MIN_REJECTED} rejected tracks (has ${c.accepted} and ${c.rejected})`;
    } else if (!m) {
      status = 'not-analysed';
      reason = `Needs ${MIN_ACCEPTED} accepted and ${MIN_REJECTED} rejected tracks analysed with ${packKey}`;
    } else if (!m.better) {
      status = 'not-better';
      reason = `Zero-shot ranks your tags as well or better (${pct(m.zeroShotAuc)} vs ${m.personalAuc === null ? 'n/a' : pct(m.personalAuc)}; needs ${Math.round(MIN_GAIN * 100)} points more)`;
    } else if (!enabled) {
      status = 'off';
      reason = 'Turned off: zero-shot scores are used';
    } else {
      status = 'active';
      reason = `Personal ranks your tags better (${pct(m.personalAuc ?? 0)} vs ${pct(m.zeroShotAuc)} zero-shot)`;
    }
    return {
      label: m?.label ?? label,
      packKey,
      accepted: c.accepted,
      rejected: c.rejected,
      threshold: { accepted: MIN_ACCEPTED, rejected: MIN_REJECTED },
      enabled,
      active: isActive,
      status,
      reason,
      model: m && {
        accepted: m.accepted,
        rejected: m.rejected,
        folds: m.folds,
        zeroShotAuc: m.zeroShotAuc,
        personalAuc: m.personalAuc,
        alpha: m.alpha,
        cosineToZeroShot: m.cosineToZeroShot,
        better: m.better,
        fittedAt: m.fittedAt,
      },
    };
  };

  const refit = async (label: string): Promise<PersonalFigures> => {
    const packKey = models.active().pack.key;
    const index = deps.index.get(packKey);
    await serial(() => refitOne(label, packKey, index));
    return figuresOf(label, packKey, readModel(db, packKey, label));
  };

  return {
    vectorFor,
    schedule,
    async flush() {
      if (timer) {
        clearTimeout(timer);
        timer = null;
        return await startPass();
      }
      return pass ? await pass : emptySummary();
    },
    refit,
    figures: refit,
    list() {
      const packKey = activePack();
      if (!packKey) return [];
      const stored = new Map(readModels(db, packKey).map((m) => [labelKey(m.label), m]));
      return labelsWithDecisions(db).map((l) => figuresOf(l.label, packKey, stored.get(labelKey(l.label)) ?? null, l));
    },
    async setEnabled(label, enabled) {
      const packKey = models.active().pack.key;
      setPersonalEnabled(db, label, enabled);
      changed(label, packKey, 'switch');
      return await refit(label);
    },
    why(trackId, label, limit) {
      const packKey = models.active().pack.key;
      const index = deps.index.get(packKey);
      const row = index.rowOf.get(trackId);
      if (row === undefined)
        throw new UserError(`Track ${trackId} is not analysed with ${packKey} yet (run: moodshelf analyze)`, 'E_NOT_ANALYZED');
      const tagged = (
        label === undefined
          ? db.prepare('SELECT track_id AS id, label FROM track_tags WHERE track_id != ? ORDER BY created_at').all(trackId)
          : db.prepare('SELECT track_id AS id, label FROM track_tags WHERE track_id != ? AND label = ? COLLATE NOCASE').all(trackId, label)
      ) as { id: number; label: string }[];
      const labelsOf = new Map<number, string[]>();
      for (const t of tagged) labelsOf.set(t.id, [...(labelsOf.get(t.id) ?? []), t.label]);
      const dim = index.dim;
      const norm = (r: number): number => Math.sqrt(dot(index.tracks, index.tracks.subarray(r * dim, (r + 1) * dim), r * dim)) || 1;
      const self = index.tracks.subarray(row * dim, (row + 1) * dim);
      const selfNorm = norm(row);
      const scored = [...labelsOf.keys()].flatMap((id) => {
        const r = index.rowOf.get(id);
        return r === undefined ? [] : [{ id, similarity: dot(index.tracks, self, r * dim) / (selfNorm * norm(r)) }];
      });
      scored.sort((a, b) => b.similarity - a.similarity || a.id - b.id);
      const top = scored.slice(0, limit);
      const records = new Map(
        getTracks(
          db,
          top.map((t) => t.id),
        ).map((t) => [t.id, t]),
      );
      return {
        trackId,
        label: label ?? null,
        personal: label !== undefined && vectorFor(packKey, label) !== null,
        neighbours: top.flatMap((t) => {
          const track = records.get(t.id);
          return track ? [{ track, similarity: t.similarity, labels: labelsOf.get(t.id) ?? [] }] : [];
        }),
      };
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await pass?.catch(() => undefined);
      await chain;
    },
  };
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}
