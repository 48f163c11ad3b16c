import { bool, handler, id, int, opt, params, text } from '../kernel/schema.js';
import type { PersonalFigures, PersonalService, WhyResult } from './service.js';

/** What the personal-label handlers need: only the personal service. */
export interface PersonalHandlerDeps {
  personal: PersonalService;
}

/** A label as tags spell it. */
const label = () => text(200);

/**
 * Handlers for personal labels: a label's cross-validated figures, the per-label switch, the list for the
 * labels view, and "why is this here" (the tagged tracks nearest a track). Their definitions are the API
 * contract.
 */
export function createPersonalHandlers(deps: PersonalHandlerDeps) {
  const { personal } = deps;
  return {
    /**
     * A label's decisions, its k-fold figures (how often an accepted track ranks above a rejected one,
     * personal vs zero-shot) and whether its personal model is used; refits first if its tags changed.
     */
    'labels-personal': handler(params({ label: label() }), ({ label: l }): Promise<PersonalFigures> => personal.figures(l)),
    /** Turns a label's personal model on or off (zero-shot scores are used while it is off). */
    'labels-personal-set': handler(params({ label: label(), enabled: bool() }), (p): Promise<PersonalFigures> =>
      personal.setEnabled(p.label, p.enabled),
    ),
    /** Figures of every label that has tag decisions, as last fitted (for the labels view). */
    'labels-personal-list': handler((): PersonalFigures[] => personal.list()),
    /**
     * Why a track is here: the tagged tracks nearest to it (accepted for `label` when given), each with its
     * cosine and tags, and whether the label's scores are personal.
     */
    'tracks-why': handler(params({ trackId: id(), label: opt(label()), limit: opt(int(1, 50)) }), (p): WhyResult =>
      personal.why(p.trackId, p.label, p.limit ?? 5),
    ),
  };
}

/** The personal-labels part of the API contract, derived from the implementation. */
export type PersonalHandlerDefs = ReturnType<typeof createPersonalHandlers>;
