import { clusterVectors, readVectorsFile } from '../../core/labels/vectors-file.js';
import { type Command, UsageError, numberOption, output, positional } from '../context.js';
import { count } from '../format.js';
import { personalText } from './personal.js';

/** `labels list|add|remove|similar|cluster|personal`. */
export const labels: Command = async (c) => {
  const sub = c.args.positionals[1];
  const vocab = c.args.values.vocab?.[0];
  switch (sub) {
    case 'list':
    case undefined: {
      const list = await c.core.invoke('labels-list', { vocabulary: vocab });
      return output(c, list, () =>
        list.map((l) => `${l.vocabulary.padEnd(12)} ${l.name}${l.description ? `  (${l.description})` : ''}`).join('\n'),
      );
    }
    case 'add': {
      const r = await c.core.invoke('labels-add', {
        text: positional(c.args, 2, 'label text'),
        description: c.args.values.description,
        vocabulary: vocab,
      });
      return output(c, r, () => {
        const lines = [`Added "${r.label.name}" to ${r.label.vocabulary}`];
        for (const d of r.nearDuplicates)
          lines.push(`  warning: near-duplicate of "${d.name}" (${d.vocabulary}, cosine ${d.cosine.toFixed(3)})`);
        if (r.similar.length)
          lines.push(`  nearest: ${r.similar.map((s) => `${s.name} (${s.vocabulary}) ${s.cosine.toFixed(3)}`).join(', ')}`);
        return lines.join('\n');
      });
    }
    case 'remove': {
      const r = await c.core.invoke('labels-remove', { text: positional(c.args, 2, 'label text'), vocabulary: vocab });
      return output(c, r, () => `Removed "${r.name}" from ${r.vocabulary}`);
    }
    case 'align': {
      const r = await c.core.run('labels-align', {
        vocabularies: c.args.values.vocab,
        quantile: numberOption(c.args.values.quantile, 'quantile', false),
        nSamples: numberOption(c.args.values['n-samples'], 'n-samples'),
      });
      return output(c, r, () =>
        [
          `${count(r.clusters.length, 'cluster')} over ${count(r.labels.length, 'label')} of ${r.vocabularies.join(' + ')} (quantile ${r.quantile}, n_samples ${r.nSamples})`,
          `bandwidth ${r.bandwidth.toFixed(4)}${r.fallback ? ` (fallback: ${r.reason ?? ''})` : ''}${r.cached ? ', from the database' : ''}`,
          ...r.clusters.map((k) => `  ${String(k.id).padStart(3)}: ${k.members.map((m) => `${m.name} (${m.vocabulary})`).join(' | ')}`),
        ].join('\n'),
      );
    }
    case 'similar': {
      const list = await c.core.invoke('labels-similar', {
        text: positional(c.args, 2, 'text'),
        limit: numberOption(c.args.values.n, 'n'),
      });
      return output(c, list, () => list.map((l) => `${l.cosine.toFixed(3)}  ${l.name}  (${l.vocabulary})`).join('\n'));
    }
    case 'cluster': {
      const file = c.args.values.vectors;
      if (!file) throw new UsageError('labels cluster needs --vectors FILE (JSON: { "labels": [...], "vectors": [[...], ...] })');
      const result = clusterVectors(await readVectorsFile(file), {
        quantile: numberOption(c.args.values.quantile, 'quantile', false),
        nSamples: numberOption(c.args.values['n-samples'], 'n-samples'),
      });
      return output(c, result, () =>
        [
          `bandwidth ${result.bandwidth.toFixed(4)}${result.fallback ? ` (fallback: ${result.reason ?? 'estimate collapsed'})` : ' (estimated)'}, ${count(result.clusters.length, 'cluster')}`,
          ...result.clusters.map((k) => `  ${String(k.id).padStart(3)}: ${k.members.join(' | ')}`),
        ].join('\n'),
      );
    }
    case 'personal': {
      const figures = await c.core.invoke('labels-personal', { label: positional(c.args, 2, 'label') });
      return output(c, figures, () => personalText(figures));
    }
    default:
      throw new UsageError(`unknown labels command "${sub}" (list, add, remove, align, similar, cluster, personal)`);
  }
};
