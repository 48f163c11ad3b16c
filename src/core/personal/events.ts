/** The personal-labels domain's events. */
export type PersonalEvents = {
  /**
   * A label's personal model changed: refitted after its tags changed, dropped below the threshold, or
   * switched on or off. `active` says whether scores for the label now use it.
   */
  'personal-model-changed': { label: string; packKey: string; active: boolean; reason: 'refit' | 'removed' | 'switch' };
};
