/** The callers the pure policy tests ask about: every kind of channel client, with and without a token. */
import type { Caller, Decision } from '../../channel-layer/access/policy.js';

export const A = '0a0a0a0a-0000-4000-8000-00000000000a';
export const B = '0b0b0b0b-0000-4000-8000-00000000000b';
export const client = {
  web: 'c0000000-0000-4000-8000-000000000001',
  app: 'c0000000-0000-4000-8000-000000000002',
  storeA: 'c0000000-0000-4000-8000-000000000003',
  storeB: 'c0000000-0000-4000-8000-000000000004',
  agent: 'c0000000-0000-4000-8000-000000000005',
  console: 'c0000000-0000-4000-8000-000000000006',
};

export const callers: Record<string, Caller> = {
  web: { clientId: client.web, channel: 'WEB', locationId: null, customerId: null, signsCustomersIn: true },
  'web key without customer-tokens': {
    clientId: client.web,
    channel: 'WEB',
    locationId: null,
    customerId: null,
    signsCustomersIn: false,
  },
  'web, customer A': {
    clientId: client.web,
    channel: 'WEB',
    locationId: null,
    customerId: A,
    signsCustomersIn: true,
  },
  'app, customer B': {
    clientId: client.app,
    channel: 'APP',
    locationId: null,
    customerId: B,
    signsCustomersIn: true,
  },
  'store A terminal': {
    clientId: client.storeA,
    channel: 'STORE',
    locationId: 'ams-01',
    customerId: null,
    signsCustomersIn: false,
  },
  'store B terminal': {
    clientId: client.storeB,
    channel: 'STORE',
    locationId: 'utr-01',
    customerId: null,
    signsCustomersIn: false,
  },
  'call-center agent': {
    clientId: client.agent,
    channel: 'CALL_CENTER',
    locationId: null,
    customerId: null,
    signsCustomersIn: false,
  },
  console: {
    clientId: client.console,
    channel: 'CONSOLE',
    locationId: null,
    customerId: null,
    signsCustomersIn: true,
  },
};

/** A decision as one cell of a table: NO, yes, or yes with the audit subject (A for customer A). */
export const cell = (d: Decision): string =>
  !d.allowed
    ? 'NO'
    : d.audit
      ? `yes, audit ${d.audit.subject === `customer:${A}` ? 'A' : d.audit.subject}`
      : 'yes';
