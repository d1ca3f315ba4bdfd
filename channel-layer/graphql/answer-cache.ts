/**
 * The answer cache of POST /graphql: an answer of `offer` or `offers` is a function of the question (the
 * request body, the caller's client and customer, the accepted media type) and of the read model's revision —
 * the hub evaluates every answer at the instant its revision determines, so equal revisions give equal
 * answers, at scheduled switches too (README: "A revision determines the answer"). So a node keeps the
 * answers it computed at its current watermark and serves the same question again from memory, byte for
 * byte, until the watermark moves: then every entry is dropped at once. Nothing is approximate: an answer is
 * kept only when every snapshot it read was at that watermark and the watermark had not moved by the time it
 * was sent.
 * A member's answer also rests on her data, which the node reads from PostgreSQL and can be newer than its
 * watermark (a change of hers the worker has not brought into the read model yet): it is served again only
 * while her data's revision is still at most the watermark (one indexed read instead of pricing, shared by
 * the hits that arrive together: `CustomerFreshness`).
 *
 * The fast path runs before Express: it reads small JSON bodies itself, passes the caller through the one
 * Gate (key, per-client rate, customer token — the same door as every other request, once), and answers a
 * cached question at once; anything else goes on through the usual pipeline with the body and the admission
 * already made (see `Preread`), where Apollo's plugin (`answerCachePlugin`) says whether the answer may be
 * kept.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { BackofficeDeps, ReadModel } from '../../backoffice-layer/index.js';
import { DomainError, type Metrics } from '../../shared/index.js';
import type { ChannelClient } from '../clients/clients.js';
import type { Authenticator } from './authenticate.js';
import type { AnswerSources } from './context.js';
import { CustomerFreshness } from './customer-freshness.js';
import type { HttpAnswer, OperationCounter } from './metrics-plugin.js';
import { setPreread, type Preread } from './preread.js';

/** The top-level fields whose answers are functions of (revision, question, caller) alone. */
const CACHEABLE_FIELDS = new Set(['offer', 'offers', '__typename']);

/** The response header that tells a caller its answer came from the answer cache (`hit`). */
export const ANSWER_CACHE_HEADER = 'x-answer-cache';

/** Largest request body (bytes) the fast path reads itself; larger ones go the usual way. */
export const MAX_FAST_BODY = 16 * 1024;

/** Bounds of one node's answer cache: entries, and bytes of answers and questions together. */
export const ANSWER_CACHE_LIMITS = { entries: 20_000, bytes: 64 * 1024 * 1024 };

/**
 * One answer kept: its body and media type as sent, the operation (for the operation counter), and the
 * customers whose data it read from PostgreSQL (none: it rests on the read model alone).
 */
interface CachedAnswer {
  body: Buffer;
  contentType: string;
  operation: OperationDefinitionNode | null;
  customers?: readonly string[];
  bytes: number;
}

/**
 * Answers kept at one revision, bounded by ANSWER_CACHE_LIMITS (the oldest entry goes first); asked at
 * another revision, it forgets everything.
 */
export class AnswerCache {
  private revision: number | null = null;
  private readonly entries = new Map<string, CachedAnswer>();
  private bytes = 0;

  constructor(private readonly limits = ANSWER_CACHE_LIMITS) {}

  /** The answer kept for `key` at `revision`, if any. */
  get(revision: number, key: string): CachedAnswer | undefined {
    if (revision !== this.revision) {
      this.reset(revision);
      return undefined;
    }
    return this.entries.get(key);
  }

  /** Keeps `answer` for `key` at `revision` (a newer revision replaces everything kept). */
  set(revision: number, key: string, answer: Omit<CachedAnswer, 'bytes'>): void {
    if (revision !== this.revision) this.reset(revision);
    const bytes = answer.body.length + key.length * 2;
    if (bytes > this.limits.bytes / 16 || this.entries.has(key)) return;
    while (this.entries.size >= this.limits.entries || this.bytes + bytes > this.limits.bytes) {
      const [oldest, kept] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      this.bytes -= kept.bytes;
    }
    this.entries.set(key, { ...answer, bytes });
    this.bytes += bytes;
  }

  /** Forgets every answer (the read model was lost or rebuilt: nothing kept is trusted again). */
  clear(): void {
    this.reset(null);
  }

  /** How many answers are kept, and their size in bytes. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private reset(revision: number | null): void {
    this.revision = revision;
    this.entries.clear();
    this.bytes = 0;
  }
}

/** Whether an operation asks only for fields whose answers the cache may keep (a query of offer/offers). */
export function cacheableOperation(operation: OperationDefinitionNode): boolean {
  return (
    operation.operation === 'query' &&
    operation.selectionSet.selections.every(
      (s) => s.kind === Kind.FIELD && CACHEABLE_FIELDS.has(s.name.value),
    )
  );
}

/**
 * The Apollo plugin that marks an HTTP answer cacheable (`HttpAnswer.cacheableAt`, with the customers whose
 * data it read): an answer without errors to a cacheable operation, computed from snapshots of one revision,
 * that put nothing on record.
 */
export const answerCachePlugin: ApolloServerPlugin<{ answer?: HttpAnswer; sources?: AnswerSources }> = {
  requestDidStart: async () => ({
    willSendResponse: async ({ operation, response, contextValue }) => {
      const { answer, sources } = contextValue;
      if (!answer || !sources || !operation || sources.onRecord || sources.revisions.size !== 1) return;
      if (response.body.kind !== 'single' || response.body.singleResult.errors?.length) return;
      if (!cacheableOperation(operation)) return;
      answer.cacheableAt = [...sources.revisions][0]!;
      answer.customers = [...sources.customers];
    },
  }),
};

const callerKeys = new WeakMap<ChannelClient, string>();

/**
 * Everything of a client an answer may depend on (its channel, store, market, scopes), as part of a cache
 * key:
 * a client changed by the admin API (its market, say) never meets the answers of its former self.
 */
function callerKey(client: ChannelClient): string {
  let key = callerKeys.get(client);
  if (key === undefined) {
    const { id, channel, locationId, currency, scopes, admin } = client;
    key = JSON.stringify([id, channel, locationId, currency, scopes, admin ?? false]);
    callerKeys.set(client, key);
  }
  return key;
}

/** A body Express's JSON parser would read (not chunked, not compressed, JSON, small): the fast path's. */
function readsItself(req: IncomingMessage): boolean {
  const h = req.headers;
  if (req.method !== 'POST' || req.url !== '/graphql') return false;
  if (h['content-encoding'] || h['transfer-encoding']) return false;
  const type = h['content-type']?.toLowerCase().replace(/\s+/g, '');
  if (type !== 'application/json' && type !== 'application/json;charset=utf-8') return false;
  const length = Number(h['content-length']);
  return Number.isInteger(length) && length > 0 && length <= MAX_FAST_BODY;
}

/**
 * The body as the JSON parser (strict) reads it: an object or array, or the error it raises. Its UTF-8
 * decoding drops one leading byte order mark, and it reads a body left empty as `{}`.
 */
function parsed(raw: string): Pick<Preread, 'body' | 'bodyError'> {
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  if (text.length === 0) return { body: {} };
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null) return { body };
    return { bodyError: parseError('The body is not a JSON object or array') };
  } catch (e) {
    return { bodyError: parseError(e instanceof Error ? e.message : 'invalid JSON') };
  }
}

/** The error the JSON parser (body-parser, strict) gives for a body that is not a JSON object or array. */
function parseError(message: string): Error & { status: number; type: string } {
  return Object.assign(new SyntaxError(message), { status: 400, type: 'entity.parse.failed' });
}

/** A string of its own (not a slice that keeps the string it was cut from). */
const copied = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');

/**
 * What the operation counter reads of an operation (its type and name), without the rest of the parsed
 * document: a kept operation node would hold the whole document, its source and every token, comments
 * included, far more than the bytes an entry counts.
 */
function summaryOf(operation: OperationDefinitionNode | null): OperationDefinitionNode | null {
  if (!operation) return null;
  return {
    kind: Kind.OPERATION_DEFINITION,
    operation: operation.operation,
    // A copy of the name: a slice of the source would keep all of it.
    ...(operation.name ? { name: { kind: Kind.NAME, value: copied(operation.name.value) } } : {}),
    selectionSet: { kind: Kind.SELECTION_SET, selections: [] },
  };
}

/**
 * The fast path of POST /graphql (see the module's comment). `handle` either answers from the cache or calls
 * `next` — at once for a request it does not read, else with the body read and the caller admitted
 * (`prereadOf`), watching the answer to keep it.
 */
export class GraphqlFastPath {
  readonly cache = new AnswerCache();
  /** Stops listening to the read model's notices. */
  readonly close: () => void;
  /** Members' data revisions, read for many hits at once (each hit still waits for a read begun after it). */
  private readonly freshness: CustomerFreshness;

  constructor(
    private readonly o: {
      deps: Pick<BackofficeDeps, 'db'>;
      auth: Authenticator;
      readModel: ReadModel;
      operations: OperationCounter;
      metrics?: Metrics | undefined;
    },
  ) {
    this.freshness = new CustomerFreshness(o.deps);
    // A model lost or rebuilt: whatever was kept goes, even should the watermark come back to the same value.
    this.close = o.readModel.onChange((change) => {
      if (change.lost || change.reset) this.cache.clear();
    });
  }

  handle(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    if (!readsItself(req)) return next();
    const timer = this.o.metrics?.httpRequests.startTimer();
    // The Gate is asked at once, while the body comes in: a caller it refuses is answered without waiting for
    // a body, as the Express pipeline answers it (there the Gate runs before the JSON parser reads).
    const admitting = this.admit(req);
    const chunks: Buffer[] = [];
    let ended = false;
    let handedOn = false;
    req.on('error', () => undefined); // a caller gone mid-body: nothing to answer
    req.on('data', (c: Buffer) => chunks.push(c));
    void admitting.then(
      (admission) => {
        if (ended || !('refused' in admission)) return;
        handedOn = true;
        setPreread(req, { admission });
        next();
      },
      () => undefined,
    );
    req.once('end', () => {
      ended = true;
      if (handedOn) return;
      const text = Buffer.concat(chunks).toString('utf8');
      this.answer(req, res, { admitting, text, timer }, next).catch(() => {
        if (!res.headersSent) next();
      });
    });
  }

  private async answer(
    req: IncomingMessage,
    res: ServerResponse,
    asked: {
      admitting: Promise<Preread['admission']>;
      text: string;
      timer: ((labels: Record<string, string>) => number) | undefined;
    },
    next: () => void,
  ): Promise<void> {
    const { text, timer } = asked;
    const admission = await asked.admitting;
    const at = this.o.readModel.watermark();
    if ('admitted' in admission && at !== null) {
      const { client, customerId } = admission.admitted;
      const key = `${callerKey(client)}\n${customerId ?? ''}\n${req.headers.accept ?? ''}\n${text}`;
      const hit = this.cache.get(at, key);
      if (hit && (await this.stillHolds(hit, at))) {
        this.o.operations.count('http', hit.operation, 'OK');
        res.writeHead(200, {
          'content-type': hit.contentType,
          'content-length': hit.body.length,
          [ANSWER_CACHE_HEADER]: 'hit',
        });
        res.end(hit.body);
        timer?.({ method: 'POST', route: '/graphql', status: '200' });
        return;
      }
      this.keepWhenSent(res, at, key);
    }
    setPreread(req, { admission, ...parsed(text) });
    next();
  }

  /** The Gate's answer for this request: the caller let in, or why not (an error the gate did not expect). */
  private async admit(req: IncomingMessage): Promise<Preread['admission']> {
    const { auth } = this.o;
    const presented = {
      authorization: req.headers.authorization,
      customerToken: req.headers['x-customer-token'],
    };
    try {
      return { admitted: await auth.admit(auth.credentials(req, presented)) };
    } catch (e) {
      if (e instanceof DomainError) return { refused: e };
      throw e;
    }
  }

  /**
   * Whether a kept answer is still the one the node would compute: always while the watermark stands, unless
   * it read customers' data, which the node reads from PostgreSQL — a change of theirs committed since is in
   * the node's next answer at once (at its own, newer revision), before the read model moves past it.
   */
  private async stillHolds(hit: CachedAnswer, at: number): Promise<boolean> {
    if (!hit.customers?.length) return true;
    const revision = await this.freshness.revisionOf(hit.customers).catch(() => null);
    return revision !== null && revision <= at && this.o.readModel.watermark() === at;
  }

  /** Keeps the answer Express sends for `key`, when Apollo marked it cacheable at the watermark `at`. */
  private keepWhenSent(res: ServerResponse, at: number, key: string): void {
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      const chunk = args[0];
      const answer = (res as ServerResponse & { locals?: { graphqlAnswer?: HttpAnswer } }).locals
        ?.graphqlAnswer;
      if (
        res.statusCode === 200 &&
        answer?.cacheableAt === at &&
        this.o.readModel.watermark() === at &&
        (typeof chunk === 'string' || Buffer.isBuffer(chunk))
      )
        this.cache.set(at, key, {
          body: Buffer.from(chunk),
          contentType: String(res.getHeader('content-type')),
          operation: summaryOf(answer.decided?.operation ?? null),
          customers: answer.customers ?? [],
        });
      return end(...args);
    }) as ServerResponse['end'];
  }
}
