/**
 * Who is calling the channel API, the same way on both transports: the credentials a caller presents (HTTP
 * headers, or graphql-ws connection params) are read by one function and passed to the one Gate
 * (clients/admission.ts: the key, the per-client rate, the customer token); open WebSocket connections are
 * checked again for a revoked key or an expired customer token.
 */
import type { IncomingMessage } from 'node:http';
import type { RequestHandler, Response } from 'express';
import type { BackofficeDeps } from '../../backoffice-layer/index.js';
import { callerAddress, DomainError } from '../../shared/index.js';
import { bearerKey, Gate, type Admitted, type Credentials } from '../clients/admission.js';
import { prereadOf } from './preread.js';
import type { Connection } from './connection.js';
import { refuse } from './errors.js';

/**
 * What a caller presents, as its transport carries it: the `Authorization` and `X-Customer-Token` headers
 * (HTTP) or the `authorization` and `customerToken` connection params (graphql-ws, any JSON). Only text
 * counts.
 */
export interface Presented {
  authorization: unknown;
  customerToken: unknown;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The authentication of one API node: its Gate, and how callers' credentials and addresses are read. */
export class Authenticator {
  readonly gate: Gate;
  private readonly addressOf: (request: IncomingMessage) => string;

  constructor(private readonly deps: BackofficeDeps) {
    this.gate = new Gate(deps);
    this.addressOf = callerAddress(deps.config.trustProxy);
  }

  /**
   * The credentials of a caller on either transport: what it presented (text only), from its request's
   * address.
   */
  credentials(request: IncomingMessage, presented: Presented): Credentials {
    return {
      authorization: text(presented.authorization),
      customerToken: text(presented.customerToken),
      address: this.addressOf(request),
    };
  }

  /**
   * The caller's client and customer, when the gate lets it in now.
   * @throws DomainError UNAUTHENTICATED, RATE_LIMITED, UNAVAILABLE (see Gate.admit).
   */
  admit(credentials: Credentials): Promise<Admitted> {
    return this.gate.admit(credentials);
  }

  /**
   * HTTP: admits every request (see admit), or refuses it in the GraphQL envelope; `admittedOf` reads who.
   */
  readonly http: RequestHandler = async (req, res, next) => {
    // The fast path (answer-cache.ts) has admitted it already: once per request.
    const pre = prereadOf(req)?.admission;
    if (pre) {
      if ('refused' in pre) return refuse(res, pre.refused);
      res.locals.admitted = pre.admitted;
      return next();
    }
    try {
      res.locals.admitted = await this.admit(
        this.credentials(req, {
          authorization: req.get('authorization'),
          customerToken: req.get('x-customer-token'),
        }),
      );
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      refuse(res, e);
      return;
    }
    next();
  };

  /**
   * Why an open connection may no longer be served: UNAUTHENTICATED when its key was revoked or its customer
   * token expired; null while both hold. A key that cannot be checked now is kept, never claimed wrong.
   */
  async revocationOf(c: Pick<Connection, 'credentials' | 'admitted'>): Promise<DomainError | null> {
    const current = await this.gate.keys
      .current(bearerKey(c.credentials.authorization) ?? '')
      .catch(() => undefined);
    if (current === null) {
      this.deps.logger.info(
        { clientId: c.admitted.client.id },
        'a revoked client key: ending its open subscriptions',
      );
      return new DomainError('UNAUTHENTICATED', 'This client key was revoked', {});
    }
    if (c.admitted.tokenExpiresAt && c.admitted.tokenExpiresAt <= this.deps.clock.now())
      return new DomainError('UNAUTHENTICATED', 'The customer token expired; sign the customer in again', {});
    return null;
  }
}

/** The caller an HTTP request was admitted as (by Authenticator.http, which runs first). */
export function admittedOf(res: Response): Admitted {
  return res.locals.admitted as Admitted;
}
