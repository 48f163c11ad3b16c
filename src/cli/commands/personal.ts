import type { HandlerResult } from '../../core/index.js';

/** `labels personal` as text: the decisions, the cross-validated figures side by side, and the verdict. */
export function personalText(f: HandlerResult<'labels-personal'>): string {
  const pct = (x: number | null): string => (x === null ? 'n/a' : `${Math.round(x * 100)}%`);
  const lines = [
    `${f.label}: ${f.active ? 'personal model active' : 'zero-shot'} (${f.reason})`,
    `  decisions: ${f.accepted} accepted, ${f.rejected} rejected (a model needs ${f.threshold.accepted} + ${f.threshold.rejected})`,
  ];
  if (f.model) {
    lines.push(
      `  ${f.model.folds}-fold cross-validation over your tags (an accepted track ranked above a rejected one):`,
      `    personal ${pct(f.model.personalAuc)}  vs  zero-shot ${pct(f.model.zeroShotAuc)}`,
      `  fitted from ${f.model.accepted} accepted + ${f.model.rejected} rejected analysed tracks; step ${f.model.alpha}, cosine to zero-shot ${f.model.cosineToZeroShot.toFixed(3)}`,
    );
  }
  lines.push(`  switch: ${f.enabled ? 'on' : 'off'} (pack ${f.packKey})`);
  return lines.join('\n');
}
