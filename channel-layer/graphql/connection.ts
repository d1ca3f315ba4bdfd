import { randomUUID } from 'node:crypto';
import type { OperationDefinitionNode } from 'graphql';
import type { Admitted, Credentials } from '../clients/admission.js';

/**
 * One open WebSocket connection: who it is, what it presented, its subscriptions, and the signal that ends
 * them.
 */
export interface Connection {
  id: string;
  credentials: Credentials;
  admitted: Admitted;
  /** Aborted (with UNAUTHENTICATED) when its key is revoked or its customer token expires. */
  revoked: AbortController;
  /** Operation ids of its open subscriptions, each holding a slot of its client. */
  subscriptions: Set<string>;
  /** Operations not answered yet, by id: the operation once it passed validation, else null. */
  unanswered: Map<string, OperationDefinitionNode | null>;
  /** Its pings in the current second (Unix seconds), for the ping rate (rate-limit.ts). */
  pings: { second: number; count: number };
}

/** A connection the gate let in with `credentials`, as `admitted`: no subscriptions yet. */
export function openConnection(credentials: Credentials, admitted: Admitted): Connection {
  return {
    id: randomUUID(),
    credentials,
    admitted,
    revoked: new AbortController(),
    subscriptions: new Set(),
    unanswered: new Map(),
    pings: { second: 0, count: 0 },
  };
}
