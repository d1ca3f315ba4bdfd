import { listLocations, skusOnSale, verifyReadModel } from '../../backoffice-layer/index.js';
import { journeyReadModelSections } from '../../journey-layer/index.js';
import type { ChannelDeps } from '../channel-deps.js';
import { createChannelClient, type Channel } from '../clients/clients.js';

export interface ConsistencyReport {
  ok: boolean;
  rows: Array<{ channel: Channel; sku: string; revision: string; fingerprint: string }>;
  differences: string[];
  readModelDifferences: number;
}

/**
 * Asks the same questions (offers for a few SKUs at the same minimum revision) through a client of each
 * channel against a running hub, and reports any two answers at one revision that differ; then compares the
 * read model with a rebuild from PostgreSQL. The temporary clients are revoked afterwards.
 */
export async function consistencyCheck(
  deps: ChannelDeps,
  opts: { url: string; skus?: string[]; out?: (line: string) => void },
): Promise<ConsistencyReport> {
  const out = opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  // By default the first five SKUs on sale (active, with a price): a product with no price yet has no offer
  // to compare.
  const skus = opts.skus?.length ? opts.skus : await skusOnSale(deps.db, 5);
  const store = (await listLocations(deps.db)).find((l) => l.kind === 'STORE');
  const channels: Channel[] = ['WEB', 'APP', 'CALL_CENTER', ...(store ? ['STORE' as const] : []), 'CONSOLE'];
  const clients = [];
  for (const channel of channels) {
    clients.push({
      channel,
      ...(await createChannelClient(
        deps.db,
        {
          name: `consistency-check ${channel}`,
          channel,
          ...(channel === 'STORE' ? { locationId: store!.id } : {}),
          scopes: [],
        },
        deps.clock.now(),
      )),
    });
  }
  const rows: ConsistencyReport['rows'] = [];
  const differences: string[] = [];
  try {
    const min = String(
      (
        await deps.db
          .selectFrom('outbox')
          .select((eb) => eb.fn.max('revision').as('r'))
          .executeTakeFirst()
      )?.r ?? 0,
    );
    const answers = await Promise.all(
      clients.map(async (c) => {
        const res = await fetch(`${opts.url.replace(/\/$/, '')}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${c.key}` },
          body: JSON.stringify({
            query:
              'query($s: [ID!]!, $m: Revision) ' +
              '{ offers(skus: $s, minRevision: $m) { sku revision fingerprint } }',
            variables: { s: skus, m: min },
          }),
        }).catch((e: unknown) => {
          throw new Error(
            `the hub does not answer at ${opts.url} (${(e as Error).message}); start it or pass --url`,
          );
        });
        const body = (await res.json()) as {
          data?: { offers: Array<{ sku: string; revision: string; fingerprint: string }> };
          errors?: Array<{ message: string }>;
        };
        if (!body.data)
          throw new Error(`${c.channel}: ${body.errors?.map((e) => e.message).join('; ') ?? res.status}`);
        return { channel: c.channel, offers: body.data.offers };
      }),
    );
    for (const a of answers)
      for (const o of a.offers)
        rows.push({ channel: a.channel, sku: o.sku, revision: o.revision, fingerprint: o.fingerprint });
    const first = new Map<string, { channel: Channel; fingerprint: string }>();
    for (const r of rows) {
      const k = `${r.sku}@${r.revision}`;
      const p = first.get(k);
      if (!p) first.set(k, r);
      else if (p.fingerprint !== r.fingerprint)
        differences.push(
          `${r.sku} at revision ${r.revision}: ${p.channel} ${p.fingerprint.slice(0, 12)} ≠ ` +
            `${r.channel} ${r.fingerprint.slice(0, 12)}`,
        );
    }
  } finally {
    await deps.db
      .updateTable('channelClients')
      .set({ revokedAt: deps.clock.now() })
      .where(
        'id',
        'in',
        clients.map((c) => c.id),
      )
      .execute();
  }
  const width = Math.max(...skus.map((s) => s.length), 3);
  out(`${'channel'.padEnd(12)} ${'sku'.padEnd(width)} ${'revision'.padStart(9)}  fingerprint`);
  for (const r of rows)
    out(
      `${r.channel.padEnd(12)} ${r.sku.padEnd(width)} ${r.revision.padStart(9)}  ` +
        r.fingerprint.slice(0, 16),
    );
  out(
    differences.length
      ? `DIFFERENT answers at equal revisions:\n  ${differences.join('\n  ')}`
      : `All ${clients.length} channels agree: equal revision, equal fingerprint.`,
  );
  // Without a worker the read model is never built, and every node reads PostgreSQL: nothing to compare then.
  const rm = await verifyReadModel(deps, journeyReadModelSections);
  const source = rm.length === 1 && rm[0]!.section === 'source' ? rm[0]! : null;
  const notBuilt = source !== null && source.actual === null;
  out(
    notBuilt
      ? 'Read model not built (no worker has run, or it is being rebuilt): answers come from PostgreSQL.'
      : source
        ? `Read model in Redis mirrors another database (${String(source.actual)}, ` +
          `not ${String(source.expected)}): nodes read PostgreSQL until a worker rebuilds it.`
        : rm.length
          ? `Read model differs from a rebuild in ${rm.length} places (e.g. ${rm[0]!.sku} ${rm[0]!.section}).`
          : 'Read model equals a rebuild from PostgreSQL.',
  );
  const readModelDifferences = notBuilt ? 0 : rm.length;
  return {
    ok: differences.length === 0 && readModelDifferences === 0,
    rows,
    differences,
    readModelDifferences,
  };
}
