import { randomUUID } from 'node:crypto';
import type { JourneyDeps } from '../journey-deps.js';
import { enrollCustomer, setConsent } from '../customers/customers.js';
import { earnForOrder, setLoyaltyProgram } from '../loyalty/ledger.js';
import { DEFAULT_PROGRAM } from '../loyalty/program.js';
import { createCoupons, upsertPromotion } from '../promotions/store.js';
import { putSegment } from '../segments/definitions.js';
import { recordInteraction } from '../timeline/record-interaction.js';

export interface JourneySeedSummary {
  skipped: boolean;
  members: number;
  promotions: number;
  coupons: number;
}

/** Members of the demo retailer: one profile each, points earned by past purchases put them in every tier. */
const MEMBERS = [
  {
    displayName: 'Anne de Vries',
    email: 'anne.devries@example.nl',
    phone: '0612345678',
    loyaltyCard: 'NK100001',
    spent: 210_000,
    segments: ['newsletter'],
    personalisation: true,
  },
  {
    displayName: 'Bram Jansen',
    email: 'bram.jansen@example.nl',
    loyaltyCard: 'NK100002',
    spent: 180_000,
    segments: [],
    personalisation: false,
  },
  {
    displayName: 'Chantal Bakker',
    email: 'chantal.bakker@example.nl',
    phone: '0687654321',
    loyaltyCard: 'NK100003',
    spent: 75_000,
    segments: ['newsletter', 'students'],
    personalisation: true,
  },
  {
    displayName: 'Daan Visser',
    phone: '0611122233',
    loyaltyCard: 'NK100004',
    spent: 62_000,
    segments: ['students'],
    personalisation: false,
  },
  {
    displayName: 'Eva Smit',
    email: 'eva.smit@example.nl',
    loyaltyCard: 'NK100005',
    spent: 12_000,
    segments: ['newsletter'],
    personalisation: true,
  },
  {
    displayName: 'Fleur Meijer',
    email: 'fleur.meijer@example.nl',
    appAccount: 'app-fleur-0001',
    spent: 0,
    segments: [],
    personalisation: false,
  },
] as const;

/** A store visit and a call to customer service on Anne's timeline (her orders add the rest). */
async function demoInteractions(deps: JourneyDeps, customerId: string): Promise<void> {
  const reported = [
    { kind: 'STORE_VISIT', locationId: 'ams-01', channel: 'STORE' },
    {
      kind: 'SERVICE_CONTACT',
      note: 'Asked whether the winter coat comes in a longer fit; promised a call back.',
      channel: 'CALL_CENTER',
    },
  ] as const;
  for (const [i, { channel, ...input }] of reported.entries())
    await recordInteraction(
      deps,
      { customerId, ...input },
      {
        channel,
        clientId: null,
        locationId: channel === 'STORE' ? 'ams-01' : null,
        actor: 'system',
        idempotencyKey: `demo-interaction-${i}`,
      },
    );
}

/**
 * The journey side of the demo retailer: the Bronze/Silver/Gold programme, members in every tier, a
 * newsletter promotion, a coupon batch and a personal offer. Skipped when members already exist.
 */
export async function seedDemoJourney(deps: JourneyDeps): Promise<JourneySeedSummary> {
  const existing = await deps.db.selectFrom('customers').select('id').limit(1).executeTakeFirst();
  if (existing) return { skipped: true, members: 0, promotions: 0, coupons: 0 };
  await setLoyaltyProgram(deps, DEFAULT_PROGRAM);
  for (const m of MEMBERS) {
    const { customer } = await enrollCustomer(
      deps,
      {
        displayName: m.displayName,
        ...('email' in m ? { email: m.email } : {}),
        ...('phone' in m ? { phone: m.phone } : {}),
        ...('loyaltyCard' in m ? { loyaltyCard: m.loyaltyCard } : {}),
        ...('appAccount' in m ? { appAccount: m.appAccount } : {}),
        consents: ['EMAIL_MARKETING'],
        attributes: { segments: [...m.segments], homeStore: 'ams-01' },
      },
      { channel: 'IMPORT', idempotencyKey: `demo-member-${m.displayName}` },
    );
    // Members who allow personal offers in the demo also allow profiling (computed segments).
    if (m.personalisation)
      for (const purpose of ['PERSONALISATION', 'PROFILING'] as const)
        await setConsent(deps, customer.id, { purpose, granted: true, channel: 'IMPORT' });
    if (m.displayName === 'Anne de Vries') await demoInteractions(deps, customer.id);
    if (m.spent > 0) {
      await deps.db.transaction().execute((tx) =>
        earnForOrder(tx, deps.clock.now(), {
          orderId: randomUUID(),
          customerRef: customer.id,
          totalAmount: m.spent,
          currency: 'EUR',
        }),
      );
    }
  }
  const now = deps.clock.now();
  const inTwoWeeks = new Date(now.getTime() + 14 * 86_400_000).toISOString();
  const promotions = [
    {
      id: 'newsletter-knitwear',
      rule: {
        label: 'Newsletter: knitwear week',
        conditions: [
          { kind: 'category', categories: ['knitwear'] },
          { kind: 'dateWindow', to: inTwoWeeks },
        ],
        action: { kind: 'percentOff', percentBp: 1500 },
        reason: 'Newsletter offer: 15% off all knitwear, in every store and online',
      },
    },
    {
      id: 'scarf-3-for-2',
      rule: {
        label: 'Scarves 3 for 2',
        conditions: [{ kind: 'category', categories: ['accessories'] }],
        action: { kind: 'buyXGetY', buy: 2, get: 1 },
      },
    },
    {
      id: 'spend-more',
      rule: {
        label: 'Spend more, save more',
        priority: -10,
        action: {
          kind: 'tieredSpend',
          tiers: [
            { min: 15_000, amount: 1000 },
            { min: 30_000, amount: 2500 },
          ],
        },
      },
    },
    {
      id: 'welkom',
      rule: {
        label: 'Welcome code',
        couponRequired: true,
        conditions: [{ kind: 'cartSubtotal', min: 7500 }],
        action: { kind: 'amountOff', amount: 1000 },
      },
    },
    {
      id: 'students-coats',
      rule: {
        label: 'Student offer: coats',
        target: { segments: ['students'] },
        conditions: [{ kind: 'category', categories: ['coats'] }],
        action: { kind: 'percentOff', percentBp: 1000 },
        reason: 'Your personal offer: 10% off coats',
      },
    },
  ];
  for (const p of promotions) await upsertPromotion(deps, p.id, { status: 'ACTIVE', rule: p.rule });
  // A segment staff defined; the RFM segments are added by the first computation.
  await putSegment(deps, 'click-collect', {
    name: 'Click & collect users',
    kind: 'RULE',
    definition: { fulfilment: { method: 'PICKUP', atLeast: 1, withinDays: 365 } },
  });
  const batch = await createCoupons(deps, 'welkom', {
    generate: { count: 100, prefix: 'WELKOM' },
    batchId: 'welcome-mail',
    usageLimit: 1,
  });
  const shared = await createCoupons(deps, 'welkom', {
    codes: ['WELKOM10'],
    usageLimit: 500,
    perCustomerLimit: 1,
  });
  return {
    skipped: false,
    members: MEMBERS.length,
    promotions: promotions.length,
    coupons: batch.codes.length + shared.codes.length,
  };
}
