import {
  Alert,
  Button,
  Group,
  NativeSelect,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  Title,
} from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Route, Routes, useSearchParams } from 'react-router';
import { useAccess } from '../../api/session';
import { DataTable } from '../../ui/DataTable';
import { ErrorAlert, Loading, PageHeader } from '../../ui/feedback';
import { formatDateTime, formatMoney, formatNumber } from '../../ui/format';
import { channelLabel } from '../../ui/labels';
import { retryUnlessRefused } from '../../ui/query';
import {
  fetchFulfilments,
  fetchLocations,
  fetchOrders,
  ORDER_STATUSES,
  type ListedFulfilment,
  type Location,
} from './api';
import { OrderDetailView } from './OrderDetail';
import {
  ActionFeedback,
  Items,
  MoveButtons,
  ORDERS_KEY,
  OrderLink,
  StatusBadge,
  useFulfilmentMove,
} from './parts';

/**
 * The orders and fulfilment page: `/console/orders` lists orders by status and location, a store's pickups
 * (to prepare, to hand over) and a location's picking list (`?location=<id>&view=orders|pickups|picking`);
 * `/console/orders/<id>` shows one order with its history and actions.
 */
export default function OrdersPage() {
  return (
    <Routes>
      <Route index element={<OrdersOverview />} />
      <Route path=":id" element={<OrderDetailView />} />
    </Routes>
  );
}

const VIEWS = ['orders', 'pickups', 'picking'] as const;
type View = (typeof VIEWS)[number];

/**
 * The location picker, the views and the refusal of a location the key does not reach. A key scoped to
 * locations always works at one of them (its first by default) and is offered only those.
 */
function OrdersOverview() {
  const { t } = useTranslation('orders');
  const access = useAccess();
  const scoped = access.session.locations;
  const [params, setParams] = useSearchParams();
  const asked = params.get('location') ?? '';
  const location = asked || (scoped?.[0] ?? '');
  const view: View = VIEWS.find((v) => v === params.get('view')) ?? 'orders';
  const status = params.get('status') ?? '';
  const locations = useQuery({
    retry: retryUnlessRefused,
    queryKey: [ORDERS_KEY, 'locations'],
    queryFn: fetchLocations,
    staleTime: 60_000,
  });

  const set = (name: string, value: string) =>
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: false },
    );

  if (locations.isPending) return <Loading />;
  if (locations.isError) return <ErrorAlert error={locations.error} />;
  const own = locations.data.filter((l) => access.atLocation(l.id));
  const refused = location !== '' && !access.atLocation(location);
  const unknown = !refused && location !== '' && !locations.data.some((l) => l.id === location);
  const chosen = locations.data.find((l) => l.id === location);

  return (
    <Stack gap="md">
      <PageHeader title={t('title')} intro={t('intro')} />
      <SimpleGrid cols={{ base: 1, sm: 2 }} maw={720}>
        <NativeSelect
          label={t('filter.location')}
          value={refused || unknown ? '' : location}
          onChange={(e) => set('location', e.currentTarget.value)}
          data={[
            ...(scoped === null
              ? [{ value: '', label: t('filter.allLocations') }]
              : refused || unknown
                ? [{ value: '', label: '—', disabled: true }]
                : []),
            ...own.map((l) => ({ value: l.id, label: `${l.name} (${l.id})` })),
          ]}
        />
        {view === 'orders' ? (
          <NativeSelect
            label={t('filter.status')}
            value={status}
            onChange={(e) => set('status', e.currentTarget.value)}
            data={[
              { value: '', label: t('filter.allStatuses') },
              ...ORDER_STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) })),
            ]}
          />
        ) : null}
      </SimpleGrid>
      {refused ? (
        <Alert color="red" title={t('refused.title')} role="alert">
          <Text size="sm">{t('refused.body', { location, own: (scoped ?? []).join(', ') })}</Text>
        </Alert>
      ) : unknown ? (
        <Alert color="red" title={t('refused.title')} role="alert">
          <Text size="sm">{t('refused.unknown', { location })}</Text>
        </Alert>
      ) : (
        <Tabs value={view} onChange={(v) => set('view', v === 'orders' ? '' : (v ?? ''))} keepMounted={false}>
          <Tabs.List aria-label={t('tab.label')}>
            <Tabs.Tab value="orders">{t('tab.orders')}</Tabs.Tab>
            <Tabs.Tab value="pickups">{t('tab.pickups')}</Tabs.Tab>
            <Tabs.Tab value="picking">{t('tab.picking')}</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="orders" pt="md">
            <OrderList locationId={location} status={status} />
          </Tabs.Panel>
          <Tabs.Panel value="pickups" pt="md">
            {/* A new store starts afresh: no notice of the last one's action stays. */}
            {chosen ? <Pickups key={chosen.id} location={chosen} /> : <Text>{t('chooseStore')}</Text>}
          </Tabs.Panel>
          <Tabs.Panel value="picking" pt="md">
            {chosen ? <PickingList key={chosen.id} location={chosen} /> : <Text>{t('chooseWarehouse')}</Text>}
          </Tabs.Panel>
        </Tabs>
      )}
    </Stack>
  );
}

/** Orders newest first at `locationId` (any when empty) with `status` (any when empty), a page at a time. */
function OrderList({ locationId, status }: { locationId: string; status: string }) {
  const { t } = useTranslation('orders');
  const orders = useInfiniteQuery({
    retry: retryUnlessRefused,
    queryKey: [ORDERS_KEY, 'list', locationId, status],
    queryFn: ({ pageParam }) => fetchOrders({ locationId, status, after: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next ?? undefined,
  });
  if (orders.isPending) return <Loading />;
  if (orders.isError) return <ErrorAlert error={orders.error} />;
  const rows = orders.data.pages.flatMap((p) => p.items);
  return (
    <Stack gap="sm">
      <DataTable
        caption={t('orders.caption')}
        head={[
          t('col.order'),
          t('col.placed'),
          t('col.channel'),
          t('col.status'),
          { label: t('col.total'), align: 'right' },
          t('col.customer'),
        ]}
      >
        {rows.map((o) => (
          <Table.Tr key={o.id} data-order={o.id}>
            <Table.Td>
              <OrderLink id={o.id} />
            </Table.Td>
            <Table.Td>{formatDateTime(o.placedAt)}</Table.Td>
            <Table.Td>{o.channel ? channelLabel(t, o.channel) : t(`kind.${o.kind}`)}</Table.Td>
            <Table.Td>
              <StatusBadge status={o.status} />
            </Table.Td>
            <Table.Td style={{ textAlign: 'right' }}>
              {formatMoney({ amount: o.totalAmount, currency: o.currency })}
            </Table.Td>
            <Table.Td>{o.customerRef ?? '—'}</Table.Td>
          </Table.Tr>
        ))}
      </DataTable>
      {rows.length === 0 ? <Text>{t('orders.empty')}</Text> : null}
      {orders.hasNextPage ? (
        <Group>
          <Button
            variant="default"
            onClick={() => void orders.fetchNextPage()}
            loading={orders.isFetchingNextPage}
          >
            {t('more')}
          </Button>
        </Group>
      ) : null}
    </Stack>
  );
}

const locationLabel = (l: Location) => `${l.name} (${l.id})`;

/** A store's pickups: those to prepare (not yet ready) and those waiting to be handed over. */
function Pickups({ location }: { location: Location }) {
  const { t } = useTranslation('orders');
  const move = useFulfilmentMove();
  const toPrepare = useQuery({
    retry: retryUnlessRefused,
    queryKey: [ORDERS_KEY, 'pickups', location.id, 'prepare'],
    queryFn: () =>
      fetchFulfilments({ locationId: location.id, method: 'PICKUP', statuses: ['PENDING', 'PICKING'] }),
  });
  const toHandOver = useQuery({
    retry: retryUnlessRefused,
    queryKey: [ORDERS_KEY, 'pickups', location.id, 'handOver'],
    queryFn: () =>
      fetchFulfilments({ locationId: location.id, method: 'PICKUP', statuses: ['READY_FOR_PICKUP'] }),
  });
  const busy = move.pending !== undefined;
  return (
    <Stack gap="lg">
      <ActionFeedback outcome={move.outcome} />
      <section aria-labelledby="pickups-prepare">
        <Title order={2} size="h3" id="pickups-prepare" mb="xs">
          {t('pickups.toPrepare')}
        </Title>
        {toPrepare.isPending ? (
          <Loading />
        ) : toPrepare.isError ? (
          <ErrorAlert error={toPrepare.error} />
        ) : (
          <FulfilmentTable
            caption={t('pickups.toPrepareCaption', { store: locationLabel(location) })}
            rows={toPrepare.data.items}
            when="readyBy"
            move={move}
            busy={busy}
          />
        )}
      </section>
      <section aria-labelledby="pickups-hand-over">
        <Title order={2} size="h3" id="pickups-hand-over" mb="xs">
          {t('pickups.toHandOver')}
        </Title>
        {toHandOver.isPending ? (
          <Loading />
        ) : toHandOver.isError ? (
          <ErrorAlert error={toHandOver.error} />
        ) : (
          <FulfilmentTable
            caption={t('pickups.toHandOverCaption', { store: locationLabel(location) })}
            rows={toHandOver.data.items}
            when="holdUntil"
            move={move}
            busy={busy}
          />
        )}
      </section>
    </Stack>
  );
}

/** Fulfilments with their order, items, where they are held, a deadline, status and the steps offered. */
function FulfilmentTable({
  caption,
  rows,
  when,
  move,
  busy,
}: {
  caption: string;
  rows: ListedFulfilment[];
  when: 'readyBy' | 'holdUntil' | 'deliverBy';
  move: ReturnType<typeof useFulfilmentMove>;
  busy: boolean;
}) {
  const { t } = useTranslation('orders');
  const whenLabel = {
    readyBy: t('col.readyBy'),
    holdUntil: t('col.holdUntil'),
    deliverBy: t('col.deliverBy'),
  };
  return (
    <>
      <DataTable
        caption={caption}
        head={[
          t('col.order'),
          t('col.method'),
          t('col.items'),
          t('col.from'),
          whenLabel[when],
          t('col.status'),
          t('col.actions'),
        ]}
      >
        {rows.map((f) => (
          <Table.Tr key={f.id} data-fulfilment={f.id} data-order={f.orderId}>
            <Table.Td>
              <OrderLink id={f.orderId} />
            </Table.Td>
            <Table.Td>{t(`method.${f.method}`)}</Table.Td>
            <Table.Td>
              <Items lines={f.lines} />
            </Table.Td>
            <Table.Td>{f.locationId}</Table.Td>
            <Table.Td>{formatDateTime(f[when] ?? (when === 'deliverBy' ? f.readyBy : null))}</Table.Td>
            <Table.Td>
              <StatusBadge status={f.status} />
            </Table.Td>
            <Table.Td miw={120}>
              <MoveButtons fulfilment={f} orderId={f.orderId} move={move} busy={busy} />
            </Table.Td>
          </Table.Tr>
        ))}
      </DataTable>
      {rows.length === 0 ? <Text>{t('pickups.none')}</Text> : null}
    </>
  );
}

/** A location's picking list: fulfilments PENDING or PICKING held there, and the units per SKU to pick. */
function PickingList({ location }: { location: Location }) {
  const { t } = useTranslation('orders');
  const move = useFulfilmentMove();
  const list = useQuery({
    retry: retryUnlessRefused,
    queryKey: [ORDERS_KEY, 'picking', location.id],
    queryFn: () => fetchFulfilments({ locationId: location.id, statuses: ['PENDING', 'PICKING'] }),
  });
  if (list.isPending) return <Loading />;
  if (list.isError) return <ErrorAlert error={list.error} />;
  // Held here: a pickup on its way here from elsewhere is picked there, not here.
  const rows = list.data.items.filter((f) => f.locationId === location.id);
  const totals = new Map<string, { quantity: number; fulfilments: number }>();
  for (const f of rows)
    for (const l of f.lines) {
      const sum = totals.get(l.sku) ?? { quantity: 0, fulfilments: 0 };
      totals.set(l.sku, { quantity: sum.quantity + l.quantity, fulfilments: sum.fulfilments + 1 });
    }
  return (
    <Stack gap="lg">
      <ActionFeedback outcome={move.outcome} />
      {list.data.next ? <Text>{t('picking.partial', { count: list.data.items.length })}</Text> : null}
      <section aria-labelledby="picking-totals">
        <Title order={2} size="h3" id="picking-totals" mb="xs">
          {t('picking.totals')}
        </Title>
        <DataTable
          caption={t('picking.totalsCaption', { location: locationLabel(location) })}
          head={[t('col.sku'), t('col.quantity'), t('col.fulfilments')]}
        >
          {[...totals.entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([sku, sum]) => (
              <Table.Tr key={sku}>
                <Table.Td ff="monospace">{sku}</Table.Td>
                <Table.Td>{formatNumber(sum.quantity)}</Table.Td>
                <Table.Td>{formatNumber(sum.fulfilments)}</Table.Td>
              </Table.Tr>
            ))}
        </DataTable>
        {totals.size === 0 ? <Text>{t('picking.none')}</Text> : null}
      </section>
      <section aria-labelledby="picking-list">
        <Title order={2} size="h3" id="picking-list" mb="xs">
          {t('tab.picking')}
        </Title>
        <FulfilmentTable
          caption={t('picking.caption', { location: locationLabel(location) })}
          rows={rows}
          when="deliverBy"
          move={move}
          busy={move.pending !== undefined}
        />
      </section>
    </Stack>
  );
}
