import type { Db } from '../kernel/database.js';
import type { PackManifest } from '../model/manifest.js';
import { UserError } from '../kernel/errors.js';
import { BUILTIN_VOCABULARIES, USER_VOCABULARY, type Vocabulary } from './vocabularies.js';

/** One label as listed: which vocabulary, its display name, and the text that is embedded. */
export interface LabelEntry {
  vocabulary: string;
  name: string;
  description: string | null;
  builtin: boolean;
}

/**
 * The text embedded for a label, for scoring and alignment alike: its description when it has a non-blank
 * one, else its name. A description plays the part of the paper's LLM-expanded label: it is embedded
 * exactly as stored (labels-add and labels-update trim its ends, nothing else), alone, without the name,
 * and the encoder applies only its own prompt template (none, "{}", for the paper's all-MiniLM-L6-v2).
 * A built-in label without a description is its bare name, which under the paper's encoder is replaced by
 * the paper's expanded vector (paper-vectors.ts).
 */
export function embeddedText(name: string, description: string | null | undefined): string {
  return description && description.trim() !== '' ? description : name;
}

/** User vocabularies from the database. */
export function userVocabularies(db: Db): Vocabulary[] {
  const rows = db.prepare('SELECT vocabulary, name, description FROM user_labels ORDER BY vocabulary, id').all() as {
    vocabulary: string;
    name: string;
    description: string | null;
  }[];
  const byVocab = new Map<string, Vocabulary>();
  for (const r of rows) {
    const v = byVocab.get(r.vocabulary) ?? {
      id: r.vocabulary,
      name: r.vocabulary === USER_VOCABULARY ? 'My labels' : r.vocabulary,
      topK: 3,
      labels: [],
      descriptions: {},
      builtin: false,
    };
    v.labels.push(r.name);
    if (r.description) (v.descriptions as Record<string, string>)[r.name] = r.description;
    byVocab.set(r.vocabulary, v);
  }
  return [...byVocab.values()];
}

/**
 * Every vocabulary: the built-in ones (a pack's copy wins, for its descriptions, when it ships one
 * with the same id), any other vocabulary the pack ships, then the user's.
 */
export function allVocabularies(db: Db, manifest?: PackManifest): Vocabulary[] {
  const fromPack = new Map((manifest?.vocabularies ?? []).map((v) => [v.id, { ...v, builtin: true } as Vocabulary]));
  const builtins = BUILTIN_VOCABULARIES.map((v) => {
    const p = fromPack.get(v.id);
    fromPack.delete(v.id);
    return p ? { ...v, descriptions: p.descriptions } : v;
  });
  return [...builtins, ...fromPack.values(), ...userVocabularies(db)];
}

/** Finds a vocabulary by id, or throws naming the ones that exist. */
export function findVocabulary(vocabs: Vocabulary[], id: string): Vocabulary {
  const v = vocabs.find((x) => x.id === id);
  if (!v) throw new UserError(`No vocabulary "${id}" (there are: ${vocabs.map((x) => x.id).join(', ')})`, 'E_NOT_FOUND');
  return v;
}

/** Flattens vocabularies into label entries. */
export function labelEntries(vocabs: Vocabulary[]): LabelEntry[] {
  return vocabs.flatMap((v) =>
    v.labels.map((name) => ({ vocabulary: v.id, name, description: v.descriptions?.[name] ?? null, builtin: v.builtin })),
  );
}

/**
 * The key two label names are compared by: case, underscores (the datasets' "joyful_activation") and runs
 * of whitespace do not make a different label, so "Calm", "calm " and "CALM" are one.
 */
export function labelKey(name: string): string {
  return name.replace(/_/g, ' ').trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * The existing label a new name would duplicate (compared by {@link labelKey}), across every vocabulary
 * (built-in, the pack's and the user's), leaving out `except` (a label being renamed may change its own
 * case); undefined when the name is free. Scoring, tags and playlist rules find labels by their text, so
 * two labels that differ only in case would be two columns, two tags and two rules for one idea.
 */
export function findLabelClash(
  entries: readonly LabelEntry[],
  name: string,
  except?: { vocabulary: string; name: string },
): LabelEntry | undefined {
  const key = labelKey(name);
  return entries.find((e) => labelKey(e.name) === key && !(except && e.vocabulary === except.vocabulary && e.name === except.name));
}

/** The error for a name that duplicates `clash`, naming the existing label and where it is. */
function clashError(name: string, clash: LabelEntry): UserError {
  const where = clash.builtin
    ? `the built-in vocabulary ${clash.vocabulary}`
    : clash.vocabulary === USER_VOCABULARY
      ? 'your labels'
      : clash.vocabulary;
  return new UserError(`"${name}" is already a label: "${clash.name}" in ${where}. Use the existing "${clash.name}" instead`, 'E_EXISTS');
}

/**
 * Adds a user label (trimmed). A name that duplicates any existing label of any vocabulary (case and
 * underscores aside, see {@link findLabelClash}) is refused with E_EXISTS naming the existing one;
 * `manifest` (the active pack's) adds the pack's own vocabularies to the check.
 */
export function addUserLabel(
  db: Db,
  name: string,
  description: string | null,
  vocabulary = USER_VOCABULARY,
  manifest?: PackManifest,
): LabelEntry {
  const clean = name.trim().replace(/\s+/g, ' ');
  if (clean === '') throw new UserError('A label needs some text', 'E_INVALID');
  if (clean.length > 200) throw new UserError('A label can be at most 200 characters', 'E_INVALID');
  if (BUILTIN_VOCABULARIES.some((v) => v.id === vocabulary))
    throw new UserError(`"${vocabulary}" is a built-in vocabulary; add labels to your own (default: ${USER_VOCABULARY})`, 'E_INVALID');
  const clash = findLabelClash(labelEntries(allVocabularies(db, manifest)), clean);
  if (clash) throw clashError(clean, clash);
  db.prepare('INSERT INTO user_labels (vocabulary, name, description) VALUES (?, ?, ?)').run(
    vocabulary,
    clean,
    description?.trim() || null,
  );
  return { vocabulary, name: clean, description: description?.trim() || null, builtin: false };
}

/** Removes a user label; returns what was removed so the caller can offer undo. */
export function removeUserLabel(db: Db, name: string, vocabulary = USER_VOCABULARY): LabelEntry {
  const row = db.prepare('SELECT name, description FROM user_labels WHERE vocabulary = ? AND name = ?').get(vocabulary, name) as
    { name: string; description: string | null } | undefined;
  if (!row) throw new UserError(`No label "${name}" in ${vocabulary}`, 'E_NOT_FOUND');
  db.prepare('DELETE FROM user_labels WHERE vocabulary = ? AND name = ?').run(vocabulary, name);
  return { vocabulary, name: row.name, description: row.description, builtin: false };
}

/**
 * Renames a user label and/or changes its description (null clears it). Accepted tags with the old name
 * follow the rename, so renaming never orphans ground truth. Returns the label as it is now.
 */
export function updateUserLabel(
  db: Db,
  name: string,
  vocabulary: string,
  change: { newName?: string; description?: string | null },
  manifest?: PackManifest,
): LabelEntry {
  const row = db.prepare('SELECT name, description FROM user_labels WHERE vocabulary = ? AND name = ?').get(vocabulary, name) as
    { name: string; description: string | null } | undefined;
  if (!row) throw new UserError(`No label "${name}" in ${vocabulary}`, 'E_NOT_FOUND');
  const newName = change.newName === undefined ? row.name : change.newName.trim().replace(/\s+/g, ' ');
  if (newName === '' || newName.length > 200) throw new UserError('A label needs 1 to 200 characters', 'E_INVALID');
  const description = change.description === undefined ? row.description : change.description?.trim() || null;
  db.transaction(() => {
    if (newName !== row.name) {
      const clash = findLabelClash(labelEntries(allVocabularies(db, manifest)), newName, { vocabulary, name: row.name });
      if (clash) throw clashError(newName, clash);
      db.prepare('UPDATE OR IGNORE track_tags SET label = ? WHERE label = ?').run(newName, row.name);
    }
    db.prepare('UPDATE user_labels SET name = ?, description = ? WHERE vocabulary = ? AND name = ?').run(
      newName,
      description,
      vocabulary,
      name,
    );
  })();
  return { vocabulary, name: newName, description, builtin: false };
}
