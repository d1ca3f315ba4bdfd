/**
 * A web or app client cannot learn whether an e-mail address (or any identifier) is registered from the
 * answers of `enrollCustomer` and `linkIdentifier`: every identifier refusal is the same neutral CONFLICT,
 * nothing is written, the idempotency key stays unused, and the attempt is logged (a hash, never the address)
 * and audited. Staff channels keep the precise answer. Over real HTTP against a started API node.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { pino } from 'pino';
import { createChannelClient, startApiNode, type ApiNode } from '../../channel-layer/index.js';
import { IDENTIFIER_REFUSED_MESSAGE } from '../../journey-layer/customers/customers.js';
import { sha256 } from '../../shared/index.js';
import { createBackofficeTestContext, until, type BackofficeTestContext } from '../support/backoffice.js';

type GqlError = { message: string; extensions: Record<string, unknown> & { code: string } };
type Answer = { data?: Record<string, any> | null; errors?: GqlError[] };

const ENROLL =
  'mutation($in: EnrollInput!, $k: String!) { enrollCustomer(input: $in, idempotencyKey: $k) { id } }';
const LINK =
  'mutation($c: ID!, $kind: IdentifierKind!, $v: String!) { linkIdentifier(customerId: $c, ' +
  'kind: $kind, value: $v) { id } }';

describe('identifier refusals to web and app clients', () => {
  let ctx: BackofficeTestContext;
  let node: ApiNode;
  const logLines: string[] = [];
  const clients = {} as Record<'web' | 'app' | 'agent', { id: string; key: string }>;

  const gql = async (
    key: string,
    query: string,
    variables: Record<string, unknown>,
    token?: string,
  ): Promise<Answer> => {
    const res = await fetch(`http://127.0.0.1:${node.port}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${key}`,
        ...(token ? { 'x-customer-token': token } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as Answer;
  };
  const enroll = (who: keyof typeof clients, input: Record<string, unknown>, k: string) =>
    gql(clients[who].key, ENROLL, { in: input, k });
  const tokenFor = async (who: 'web' | 'app', customerId: string): Promise<string> => {
    const r = await gql(
      clients[who].key,
      'mutation($c: ID!) { issueCustomerToken(customerId: $c) { token } }',
      { c: customerId },
    );
    return r.data!.issueCustomerToken.token as string;
  };
  /** Everything a refusal could write: profiles, identifiers, events, idempotency keys. */
  const footprint = async () => {
    const n = async (table: 'customers' | 'customerIdentifiers' | 'outbox' | 'idempotencyKeys') =>
      Number(
        (
          await ctx.deps.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      customers: await n('customers'),
      identifiers: await n('customerIdentifiers'),
      outbox: await n('outbox'),
      idempotencyKeys: await n('idempotencyKeys'),
    };
  };
  const refusalAudit = () =>
    ctx.deps.db
      .selectFrom('auditLog')
      .select(['actor', 'action', 'subject', 'details'])
      .where('action', '=', 'customer.identifier-refused')
      .orderBy('id')
      .execute();
  const warnings = () =>
    logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'identifier refused to a self-service channel; answered without saying why');

  /**
   * The neutral answer: CONFLICT, the one message, no details — the same whatever the identifier or the
   * reason.
   */
  const expectNeutral = (a: Answer) => {
    expect(a.data ?? null).toBeNull();
    expect(a.errors).toEqual([
      { message: IDENTIFIER_REFUSED_MESSAGE, path: [expect.any(String)], extensions: { code: 'CONFLICT' } },
    ]);
  };

  beforeAll(async () => {
    ctx = await createBackofficeTestContext();
    const logger = pino(
      { level: 'warn' },
      {
        write: (s: string) => {
          logLines.push(s);
        },
      },
    );
    for (const [name, channel] of [
      ['web', 'WEB'],
      ['app', 'APP'],
      ['agent', 'CALL_CENTER'],
    ] as const) {
      clients[name] = await createChannelClient(
        ctx.deps.db,
        { name, channel, scopes: channel === 'WEB' || channel === 'APP' ? ['customer-tokens'] : [] },
        new Date(),
      );
    }
    node = await startApiNode({ ...ctx.deps, logger }, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await node.stop(100);
    await ctx.close();
  });

  it(
    'answers an enrolment with a registered e-mail neutrally to WEB and APP, precisely to the ' +
      'call center; writes nothing',
    async () => {
      const first = await enroll(
        'agent',
        { displayName: 'Sanne', email: 'sanne@example.nl', phone: '0612340001' },
        'sanne',
      );
      expect(first.errors).toBeUndefined();

      const before = await footprint();
      // However it is typed, from either self-service channel, and whichever identifier it is.
      const web = await enroll('web', { displayName: 'Someone', email: ' Sanne@Example.NL ' }, 'signup-1');
      expectNeutral(web);
      expectNeutral(await enroll('app', { email: 'sanne@example.nl' }, 'signup-1'));
      expectNeutral(
        await enroll('web', { email: 'new-address@example.nl', phone: '+31 6 1234 0001' }, 'signup-2'),
      );
      expect(JSON.stringify(web)).not.toMatch(/sanne|e-?mail|already|belongs|profile|linked|EMAIL/i);
      // Nothing written: no half profile, no identifier, no event, and the keys are still unused...
      expect(await footprint()).toEqual(before);
      // ...so the same key signs a corrected request up.
      const retried = await enroll(
        'web',
        { displayName: 'Someone', email: 'someone@example.nl' },
        'signup-1',
      );
      expect(retried.errors).toBeUndefined();

      // Staff channels are told which identifier and why, twice over.
      for (const k of ['sanne-again-1', 'sanne-again-2']) {
        const agent = await enroll('agent', { email: 'SANNE@example.nl' }, k);
        expect(agent.errors).toEqual([
          {
            message: 'This email already belongs to another profile; merge the profiles instead',
            path: ['enrollCustomer'],
            extensions: { code: 'CONFLICT', kind: 'EMAIL' },
          },
        ]);
      }
    },
  );

  it(
    'answers a link of someone else’s identifier neutrally to the customer herself, precisely to ' +
      'the call center',
    async () => {
      const mila = (await enroll('web', { displayName: 'Mila', email: 'mila@example.nl' }, 'mila')).data!
        .enrollCustomer.id as string;
      const token = await tokenFor('web', mila);
      const before = await footprint();
      for (const [kind, value] of [
        ['EMAIL', 'sanne@example.nl'],
        ['EMAIL', 'SANNE@EXAMPLE.NL'],
        ['PHONE', '06-1234 0001'],
      ] as const) {
        const a = await gql(clients.web.key, LINK, { c: mila, kind, v: value }, token);
        expectNeutral(a);
        expect(JSON.stringify(a)).not.toMatch(/sanne|1234|already|belongs|linked/i);
      }
      expect(await footprint()).toEqual(before);
      // Her own identifier again is still a no-op, and a new one still links.
      expect(
        (await gql(clients.web.key, LINK, { c: mila, kind: 'EMAIL', v: 'mila@example.nl' }, token)).errors,
      ).toBeUndefined();
      expect(
        (await gql(clients.web.key, LINK, { c: mila, kind: 'PHONE', v: '+31612340002' }, token)).errors,
      ).toBeUndefined();

      for (let i = 0; i < 2; i++) {
        const agent = await gql(clients.agent.key, LINK, { c: mila, kind: 'EMAIL', v: 'sanne@example.nl' });
        expect(agent.errors).toEqual([
          {
            message: 'This email already belongs to another profile; merge the profiles instead',
            path: ['linkIdentifier'],
            extensions: { code: 'CONFLICT', kind: 'EMAIL' },
          },
        ]);
      }
    },
  );

  it('gives the same neutral answer when a concurrent write linked the identifier first', async () => {
    const bram = (await enroll('app', { displayName: 'Bram' }, 'bram')).data!.enrollCustomer.id as string;
    const other = (await enroll('agent', { displayName: 'Other' }, 'other')).data!.enrollCustomer
      .id as string;
    const token = await tokenFor('app', bram);
    // A write that links the address to another profile and has not committed yet: the link waits for it.
    const racer = new pg.Client({ connectionString: ctx.databaseUrl });
    await racer.connect();
    try {
      await racer.query('BEGIN');
      await racer.query(
        `INSERT INTO customer_identifiers (kind, value, customer_id, channel, created_at) ` +
          `VALUES ('EMAIL', 'race@example.nl', $1, 'STORE', now())`,
        [other],
      );
      const link = gql(clients.app.key, LINK, { c: bram, kind: 'EMAIL', v: 'race@example.nl' }, token);
      await until(
        async () => {
          const r = await racer.query(
            `SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()`,
          );
          return (r.rows[0] as { n: number }).n > 0;
        },
        10_000,
        'the link to wait for the uncommitted identifier',
      );
      await racer.query('COMMIT');
      expectNeutral(await link);
    } finally {
      await racer.end();
    }
    expect(warnings().at(-1)).toMatchObject({
      reason: 'linked-concurrently',
      channel: 'APP',
      operation: 'link-identifier',
      customerId: bram,
    });
  });

  it('logs every neutral refusal as a warning with a hash, never the identifier, and audits it', async () => {
    const lines = warnings();
    // signup-1 (WEB, APP), signup-2, three links from WEB, the race from APP; none of the staff refusals.
    expect(lines.map((l) => [l.channel, l.operation, l.kind, l.reason])).toEqual([
      ['WEB', 'enroll', 'EMAIL', 'linked-elsewhere'],
      ['APP', 'enroll', 'EMAIL', 'linked-elsewhere'],
      ['WEB', 'enroll', 'PHONE', 'linked-elsewhere'],
      ['WEB', 'link-identifier', 'EMAIL', 'linked-elsewhere'],
      ['WEB', 'link-identifier', 'EMAIL', 'linked-elsewhere'],
      ['WEB', 'link-identifier', 'PHONE', 'linked-elsewhere'],
      ['APP', 'link-identifier', 'EMAIL', 'linked-concurrently'],
    ]);
    expect(lines.every((l) => l.level === 40)).toBe(true);
    // One address, one hash however it was typed: repeated probing shows, the address does not.
    expect(lines[0]!.identifierHash).toBe(sha256('EMAIL:sanne@example.nl'));
    expect(lines[1]!.identifierHash).toBe(lines[0]!.identifierHash);
    expect(lines[3]!.identifierHash).toBe(lines[0]!.identifierHash);
    expect(logLines.join('\n')).not.toMatch(/sanne|race@|\+31612340001|0612340001/i);

    const audit = await refusalAudit();
    expect(
      audit.map((a) => [
        a.actor,
        a.subject === null ? null : 'customer',
        (a.details as { operation: string }).operation,
      ]),
    ).toEqual([
      ['channel:WEB', null, 'enroll'],
      ['channel:APP', null, 'enroll'],
      ['channel:WEB', null, 'enroll'],
      ['channel:WEB', 'customer', 'link-identifier'],
      ['channel:WEB', 'customer', 'link-identifier'],
      ['channel:WEB', 'customer', 'link-identifier'],
      ['channel:APP', 'customer', 'link-identifier'],
    ]);
    expect(JSON.stringify(audit)).not.toMatch(/sanne|race@|1234/i);
  });
});
