/**
 * Most pushes one subscriber may have waiting (a slow reader): past it the oldest are dropped; each is a
 * whole snapshot.
 */
const MAX_WAITING = 10;

/**
 * A subscription's stream: what is pushed reaches its reader in order; `fail` ends it with an error
 * (delivered as the subscription's error); `return()` ends it at once, even while its reader waits — so a
 * client that unsubscribes or disconnects never leaves a listener behind.
 */
export class PushQueue<T> implements AsyncIterableIterator<T> {
  private readonly waiting: T[] = [];
  private reader: { resolve(r: IteratorResult<T>): void; reject(e: unknown): void } | null = null;
  private failure: { error: unknown } | null = null;
  private ended = false;

  constructor(private readonly onEnd: () => void) {}

  push(value: T): void {
    if (this.ended) return;
    if (this.reader) {
      const r = this.reader;
      this.reader = null;
      r.resolve({ value, done: false });
      return;
    }
    this.waiting.push(value);
    if (this.waiting.length > MAX_WAITING) this.waiting.shift();
  }

  /** Ends the stream with `error` after what is already waiting. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.end();
    this.failure = { error };
    if (this.reader) {
      const r = this.reader;
      this.reader = null;
      this.failure = null;
      r.reject(error);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.waiting.length > 0) return Promise.resolve({ value: this.waiting.shift()!, done: false });
    if (this.failure) {
      const { error } = this.failure;
      this.failure = null;
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.reader = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    this.waiting.length = 0;
    this.failure = null;
    if (this.reader) {
      const r = this.reader;
      this.reader = null;
      r.resolve({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
  }
}
