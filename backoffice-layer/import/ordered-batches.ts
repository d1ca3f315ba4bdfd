/**
 * Writes of an import's batches, up to `depth` at once, committed in feed order. Each write is handed `turn`,
 * the promise of the write before it (resolved once that one has committed, rejected with its error when it
 * failed): a write prepares what it can meanwhile (sends and judges its rows) and awaits `turn` before it
 * draws its revision, so revisions follow the feed and nothing after a failed batch commits. A batch naming a
 * key that a batch still in flight names waits for that one to finish before it starts, so it judges its rows
 * against what the earlier one wrote.
 */
export class OrderedBatches {
  private readonly inFlight: Array<{ keys: ReadonlyMap<string, unknown>; settled: Promise<void> }> = [];
  private last: Promise<unknown> = Promise.resolve();
  private failed: { error: unknown } | undefined;

  /** `depth`: how many writes may be in flight at once (1: each batch waits for the one before it). */
  constructor(private readonly depth: number) {}

  /**
   * Starts `write` once there is room and no batch in flight shares a key with `keys`, and returns when it
   * has started (not when it ends). Throws the error of the first write that failed, if one did.
   */
  async add(
    keys: ReadonlyMap<string, unknown>,
    write: (turn: Promise<unknown>) => Promise<void>,
  ): Promise<void> {
    this.throwIfFailed();
    const shared = (k: ReadonlyMap<string, unknown>) => {
      const [small, large] = k.size < keys.size ? [k, keys] : [keys, k];
      for (const key of small.keys()) if (large.has(key)) return true;
      return false;
    };
    let wait = this.inFlight.length - this.depth;
    for (let i = this.inFlight.length - 1; i >= 0 && i > wait; i--)
      if (shared(this.inFlight[i]!.keys)) wait = i;
    for (const f of this.inFlight.slice(0, wait + 1)) await f.settled;
    this.throwIfFailed();
    const done = write(this.last);
    this.last = done;
    const entry = {
      keys,
      settled: done.then(
        () => undefined,
        (error: unknown) => {
          this.failed ??= { error };
        },
      ),
    };
    this.inFlight.push(entry);
    void entry.settled.then(() => this.inFlight.splice(this.inFlight.indexOf(entry), 1));
  }

  /** Waits for every write in flight to end; throws the error of the first that failed, if one did. */
  async drain(): Promise<void> {
    await this.settle();
    this.throwIfFailed();
  }

  /** Waits for every write in flight to end, whether it failed or not. */
  async settle(): Promise<void> {
    while (this.inFlight.length > 0) await Promise.all(this.inFlight.map((f) => f.settled));
  }

  private throwIfFailed(): void {
    if (this.failed) throw this.failed.error;
  }
}
