/**
 * The built-in vocabularies, with the exact strings of the datasets (see data/paper/README.md) and
 * the top-k the paper evaluates each with. A pack may ship its own copy (with descriptions); the strings
 * must stay identical so results line up across packs and with the paper.
 */
export interface Vocabulary {
  id: string;
  name: string;
  topK: number;
  labels: string[];
  /** Text embedded instead of the bare label (the paper's "expanded" labels), by label. */
  descriptions?: Record<string, string>;
  builtin: boolean;
}

/** MTG-Jamendo mood/theme: 56 labels, top-2. */
export const MTG_JAMENDO: Vocabulary = {
  id: 'mtg-jamendo',
  name: 'MTG-Jamendo mood/theme',
  topK: 2,
  builtin: true,
  // prettier-ignore
  labels: [
    'action', 'adventure', 'advertising', 'background', 'ballad', 'calm', 'children', 'christmas', 'commercial', 'cool',
    'corporate', 'dark', 'deep', 'documentary', 'drama', 'dramatic', 'dream', 'emotional', 'energetic', 'epic', 'fast',
    'film', 'fun', 'funny', 'game', 'groovy', 'happy', 'heavy', 'holiday', 'hopeful', 'inspiring', 'love', 'meditative',
    'melancholic', 'melodic', 'motivational', 'movie', 'nature', 'party', 'positive', 'powerful', 'relaxing', 'retro',
    'romantic', 'sad', 'sexy', 'slow', 'soft', 'soundscape', 'space', 'sport', 'summer', 'trailer', 'travel', 'upbeat',
    'uplifting',
  ],
};

/** CAL500 emotion: 17 labels, top-4. */
export const CAL500: Vocabulary = {
  id: 'cal500',
  name: 'CAL500 emotion',
  topK: 4,
  builtin: true,
  // prettier-ignore
  labels: [
    'angry, aggressive', 'arousing, awakening', 'bizarre, weird', 'calming, soothing', 'carefree, lighthearted',
    'cheerful, festive', 'emotional, passionate', 'exciting, thrilling', 'happy', 'light, playful', 'loving, romantic',
    'pleasant, comfortable', 'positive, optimistic', 'powerful, strong', 'sad', 'tender, soft', 'touching, loving',
  ],
};

/** Emotify GEMS: 9 labels, top-3. */
export const EMOTIFY: Vocabulary = {
  id: 'emotify',
  name: 'Emotify GEMS',
  topK: 3,
  builtin: true,
  labels: ['amazement', 'solemnity', 'tenderness', 'nostalgia', 'calmness', 'power', 'joyful_activation', 'tension', 'sadness'],
};

/** The three built-in vocabularies, in the paper's order. */
export const BUILTIN_VOCABULARIES: readonly Vocabulary[] = [MTG_JAMENDO, CAL500, EMOTIFY];

/** The id of the default user vocabulary. */
export const USER_VOCABULARY = 'user';
