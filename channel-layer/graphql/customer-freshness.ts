import { customerDataRevisions } from '../../journey-layer/index.js';
import type { BackofficeDeps } from '../../backoffice-layer/index.js';

/** Most customers one read asks for; more waiting start a read of their own. */
const MAX_CUSTOMERS_PER_READ = 1_000;

/** One read of customers' data revisions, gathering its customers until it starts. */
interface Read {
  customers: Set<string>;
  started: boolean;
  result: Promise<Map<string, number>>;
  start(): void;
}

/**
 * The data revisions of customers (`customerDataRevisions`), read for many callers at once without giving up
 * what each caller needs: a read that started after it asked. A caller joins the read that is gathering
 * (never one already running); that read starts as soon as the one running has answered, so under load one
 * PostgreSQL round trip answers every member's check that arrived during the previous one, and a caller waits
 * at most two round trips.
 */
export class CustomerFreshness {
  private gathering: Read | null = null;
  private running = 0;

  constructor(private readonly deps: Pick<BackofficeDeps, 'db'>) {}

  /**
   * The newest revision of what a price reads of these customers, read after this call began; null when none
   * of them is known.
   * @throws what the read throws (PostgreSQL unavailable), to every caller that joined it.
   */
  async revisionOf(customers: readonly string[]): Promise<number | null> {
    let read = this.gathering;
    if (!read || read.customers.size + customers.length > MAX_CUSTOMERS_PER_READ) read = this.gather();
    for (const c of customers) read.customers.add(c);
    if (this.running === 0) read.start();
    const revisions = await read.result;
    let newest: number | null = null;
    for (const c of customers) {
      const r = revisions.get(c);
      if (r !== undefined && (newest === null || r > newest)) newest = r;
    }
    return newest;
  }

  /** A new read gathering customers (the one before, if any, starts as it is: it was full). */
  private gather(): Read {
    this.gathering?.start();
    let begin!: () => void;
    const gate = new Promise<void>((resolve) => {
      begin = resolve;
    });
    const read: Read = {
      customers: new Set(),
      started: false,
      result: gate.then(() => customerDataRevisions(this.deps, [...read.customers])),
      start: () => {
        if (read.started) return;
        read.started = true;
        if (this.gathering === read) this.gathering = null;
        this.running++;
        begin();
        void read.result
          .catch(() => undefined)
          .finally(() => {
            this.running--;
            if (this.running === 0) this.gathering?.start();
          });
      },
    };
    read.result.catch(() => undefined);
    this.gathering = read;
    return read;
  }
}
