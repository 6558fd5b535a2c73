// Train/validation split by whole documents, stratified by genre, so every genre has
// its own validation set and per-genre perplexity can be reported.
import { Rng } from './rng.ts';

/** Fixed so the split is the same on every run and machine. */
export const SPLIT_SEED = 20240617;

export interface SplitOptions {
  /** Fraction of each genre's documents held out for validation, in (0, 1). */
  valFraction?: number;
}

export interface DocumentSplit<D> {
  /** Training documents in id order. */
  train: D[];
  /** Validation documents in id order. */
  val: D[];
}

// FNV-1a, 32-bit: gives each genre its own shuffle seed, so adding or removing a genre
// leaves the other genres' splits unchanged.
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  }
  return hash;
}

// Code-unit order, the same in every locale (unlike localeCompare).
function compareIds(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

function shuffleInPlace<T>(items: T[], rng: Rng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/**
 * Splits documents into train and validation sets. Per genre, ids are sorted, shuffled
 * with a seed derived from SPLIT_SEED and the genre, and the first
 * `max(1, round(valFraction · n))` go to validation, capped at n − 1 so training keeps
 * at least one document. A genre with a single document goes entirely to training.
 */
export function splitDocuments<D extends { id: string; genre: string }>(docs: readonly D[], options: SplitOptions = {}): DocumentSplit<D> {
  const valFraction = options.valFraction ?? 0.1;
  if (!(valFraction > 0 && valFraction < 1)) {
    throw new Error(`invalid valFraction: ${valFraction} (expected a number in (0, 1))`);
  }

  const byGenre = new Map<string, D[]>();
  const seenIds = new Set<string>();
  for (const doc of docs) {
    if (seenIds.has(doc.id)) throw new Error(`duplicate document id: "${doc.id}"`);
    seenIds.add(doc.id);
    const group = byGenre.get(doc.genre) ?? [];
    group.push(doc);
    byGenre.set(doc.genre, group);
  }

  const valIds = new Set<string>();
  for (const [genre, group] of byGenre) {
    const ids = group.map((doc) => doc.id).sort();
    const valCount = Math.min(ids.length - 1, Math.max(1, Math.round(valFraction * ids.length)));
    shuffleInPlace(ids, new Rng(SPLIT_SEED ^ hashString(genre)));
    for (const id of ids.slice(0, valCount)) valIds.add(id);
  }

  const sorted = [...docs].sort((a, b) => compareIds(a.id, b.id));
  return {
    train: sorted.filter((doc) => !valIds.has(doc.id)),
    val: sorted.filter((doc) => valIds.has(doc.id)),
  };
}
