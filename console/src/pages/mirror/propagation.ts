/**
 * The last change this console made to a SKU's price or stock (kept in localStorage, so a mirror open in
 * another tab of the same browser sees it too), so the channel mirror can
 * show how long it took to reach every channel: from the moment the hub answered the write (its committed
 * `revision`) to the moment every pane of the mirror shows that revision or a later one. Measured by this
 * console (browser clock, milliseconds), so it includes the console's own round trips.
 */

const ITEM = 'omnihub.console.lastChange';

/** One write the staff member made: what, the revision the hub committed, and when its answer arrived. */
export interface LastChange {
  kind: 'price' | 'stock';
  sku: string;
  /** The revision the write's answer carried (REST: an integer). */
  revision: number;
  /** Epoch milliseconds when this console received the write's answer. */
  savedAt: number;
  /** Epoch milliseconds when the mirror first saw every channel at `revision` or later; absent until then. */
  arrivedAt?: number;
}

function isLastChange(v: unknown): v is LastChange {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return (
    (c.kind === 'price' || c.kind === 'stock') &&
    typeof c.sku === 'string' &&
    typeof c.revision === 'number' &&
    typeof c.savedAt === 'number' &&
    (c.arrivedAt === undefined || typeof c.arrivedAt === 'number')
  );
}

/** The last change made in this browser, or null (none, or unreadable). */
export function readLastChange(): LastChange | null {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(ITEM) ?? 'null');
    return isLastChange(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** Remembers a write the hub has just answered (now = when its answer arrived). */
export function rememberChange(kind: LastChange['kind'], sku: string, revision: number): LastChange {
  const change: LastChange = { kind, sku, revision, savedAt: Date.now() };
  localStorage.setItem(ITEM, JSON.stringify(change));
  return change;
}

/**
 * Marks the last change as seen in every channel now, once (a later call keeps the first moment). Answers the
 * change as stored.
 */
export function markArrived(change: LastChange): LastChange {
  const current = readLastChange();
  if (!current || current.revision !== change.revision || current.sku !== change.sku) return change;
  if (current.arrivedAt !== undefined) return current;
  const arrived = { ...current, arrivedAt: Date.now() };
  localStorage.setItem(ITEM, JSON.stringify(arrived));
  return arrived;
}

/**
 * Calls `listener` with the last change whenever another tab of this browser records or marks one (the
 * `storage` event); returns the function that stops listening.
 */
export function onChangeElsewhere(listener: (change: LastChange | null) => void): () => void {
  const handler = (e: StorageEvent) => {
    if (e.key === ITEM) listener(readLastChange());
  };
  window.addEventListener('storage', handler);
  return () => window.removeEventListener('storage', handler);
}
