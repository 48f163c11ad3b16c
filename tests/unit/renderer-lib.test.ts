// Renderer helpers that need no DOM: the rule builder's tree conversion, emotion-strip geometry and
// colours, and formatting.
import { describe, expect, it } from 'vitest';
import { fromRuleNode, newCondition, newGroup, toRule, defaultOptions, type EditCondition } from '../../src/renderer/src/lib/rule-tree.js';
import { heatColor, segmentSpans } from '../../src/renderer/src/lib/heat.js';
import { formatBytes, labelText, ordinal, trackTitle } from '../../src/renderer/src/lib/format.js';

describe('rule tree', () => {
  it('turns the edited tree into a core rule with NOT, AND and OR', () => {
    const sad: EditCondition = { ...newCondition('sad'), negate: true };
    const tag: EditCondition = { ...newCondition('road trip'), kind: 'tag' };
    const root = newGroup('and', [newCondition('calm'), newGroup('or', [sad, tag]), newCondition('  ')]);
    const o = { ...defaultOptions(), limit: 20, perArtist: '2', yearMin: '1990', artists: 'A, B', durationMax: '300' };
    expect(toRule(root, o)).toEqual({
      limit: 20,
      perArtist: 2,
      match: {
        op: 'and',
        children: [
          { op: 'label', label: 'calm', percentile: 80 },
          {
            op: 'or',
            children: [
              { op: 'not', child: { op: 'label', label: 'sad', percentile: 80 } },
              { op: 'tag', label: 'road trip' },
            ],
          },
        ],
      },
      filters: { duration: { max: 300 }, year: { min: 1990 }, artist: { in: ['A', 'B'] } },
      sort: { by: 'score', label: 'calm' },
    });
  });

  it('leaves out empty conditions and round-trips a stored rule', () => {
    expect(toRule(newGroup('and', [newCondition('')]), defaultOptions())).toEqual({ limit: 50 });
    const rule = toRule(
      newGroup('or', [newCondition('calm'), { ...newCondition('dark'), mode: 'threshold', value: 0.3 }]),
      defaultOptions(),
    );
    expect(toRule(fromRuleNode(rule.match), defaultOptions()).match).toEqual(rule.match);
  });
});

describe('emotion strip geometry', () => {
  it('derives segment spans from the hop, also for quick (sparse) analyses', () => {
    expect(
      segmentSpans(
        [
          { index: 0, start: 0 },
          { index: 2, start: 20 },
          { index: 5, start: 50 },
        ],
        65,
      ),
    ).toEqual([
      { start: 0, end: 10 },
      { start: 20, end: 30 },
      { start: 50, end: 60 },
    ]);
    expect(segmentSpans([{ index: 0, start: 0 }], 4)).toEqual([{ start: 0, end: 4 }]);
  });

  it('colours from dark to light', () => {
    expect(heatColor(0)).toBe('rgb(33, 25, 82)');
    expect(heatColor(1)).toBe('rgb(252, 236, 150)');
    expect(heatColor(-1)).toBe(heatColor(0));
  });
});

describe('format', () => {
  it('formats labels, ordinals, bytes and titles', () => {
    expect(labelText('joyful_activation')).toBe('joyful activation');
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 100].map(ordinal)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '100th',
    ]);
    expect(formatBytes(615_000_000)).toBe('615.0 MB');
    expect(trackTitle({ title: null, path: '/a/b/c.flac' })).toBe('c.flac');
  });
});
