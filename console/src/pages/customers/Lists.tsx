import { Anchor, Badge, Button, Card, Group, Select, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { DataTable } from '../../ui/DataTable';
import { ErrorAlert, Loading } from '../../ui/feedback';
import { formatDateTime, formatMoney } from '../../ui/format';
import { channelLabel, purposeLabel } from '../../ui/labels';
import { ORDER_STATUS_COLOURS, StatusBadge } from '../../ui/StatusBadge';
import { dataUsePage, locations, nextBestOffers, ordersPage, profileHistory, type Page } from './api';
import { useCustomer } from './context';

/** A paged list's "show more" button, while there is more. */
function MoreButton({
  pages,
}: {
  pages: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage(): Promise<unknown> };
}) {
  const { t } = useTranslation();
  if (!pages.hasNextPage) return null;
  return (
    <Button
      variant="default"
      w="fit-content"
      loading={pages.isFetchingNextPage}
      onClick={() => void pages.fetchNextPage()}
    >
      {t('more')}
    </Button>
  );
}

/** A connection of hers read page by page, under `['customer', id, name]`. */
function usePaged<T>(name: string, read: (id: string, after: string | null) => Promise<Page<T>>) {
  const { profile } = useCustomer();
  return useInfiniteQuery({
    queryKey: ['customer', profile.id, name],
    queryFn: ({ pageParam }) => read(profile.id, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next,
  });
}

/** Her orders, newest first, with their status; each opens on the orders page. */
export function OrdersList() {
  const { t } = useTranslation('customers');
  const pages = usePaged('orders', ordersPage);
  if (pages.isPending) return <Loading />;
  if (pages.isError) return <ErrorAlert error={pages.error} />;
  const orders = pages.data.pages.flatMap((p) => p.items);
  if (orders.length === 0) return <Text>{t('orders.none')}</Text>;
  return (
    <Stack>
      <DataTable
        caption={t('orders.title')}
        hiddenCaption
        head={[
          t('orders.placedAt'),
          t('orders.status'),
          t('orders.kind'),
          t('field.channel'),
          { label: t('orders.total'), align: 'right' },
          t('orders.order'),
        ]}
      >
        {orders.map((o) => (
          <Table.Tr key={o.id}>
            <Table.Td>{formatDateTime(o.placedAt)}</Table.Td>
            <Table.Td>
              <StatusBadge code={o.status} label={t(`status.${o.status}`)} colours={ORDER_STATUS_COLOURS} />
            </Table.Td>
            <Table.Td>{t(`orderKind.${o.kind}`)}</Table.Td>
            <Table.Td>{channelLabel(t, o.channel)}</Table.Td>
            <Table.Td style={{ textAlign: 'right' }}>{formatMoney(o.total)}</Table.Td>
            <Table.Td>
              <Anchor component={Link} to={`/orders/${o.id}`} title={o.id}>
                {t('orders.open', { id: o.id.slice(0, 8) })}
              </Anchor>
            </Table.Td>
          </Table.Tr>
        ))}
      </DataTable>
      <MoreButton pages={pages} />
    </Stack>
  );
}

/** What to offer her next, optionally at a store. */
export function NextBestOffersList() {
  const { t } = useTranslation('customers');
  const { profile } = useCustomer();
  const [locationId, setLocationId] = useState<string | null>(null);
  const stores = useQuery({ queryKey: ['locations'], queryFn: locations, staleTime: 300_000 });
  const offers = useQuery({
    queryKey: ['customer', profile.id, 'nextBestOffers', locationId],
    queryFn: () => nextBestOffers(profile.id, locationId),
  });
  return (
    <Stack>
      <Select
        label={t('offers.location')}
        placeholder={t('offers.anyLocation')}
        data={(stores.data ?? []).map((l) => ({ value: l.id, label: `${l.name} (${l.id})` }))}
        value={locationId}
        onChange={setLocationId}
        clearable
        maw={360}
      />
      {offers.isPending ? (
        <Loading />
      ) : offers.isError ? (
        <ErrorAlert error={offers.error} />
      ) : offers.data.length === 0 ? (
        <Text>{t('offers.none')}</Text>
      ) : (
        <SimpleGrid
          cols={{ base: 1, sm: 2 }}
          component="ul"
          style={{ listStyle: 'none', padding: 0 }}
          aria-label={t('offers.title')}
        >
          {offers.data.map((o) => (
            <Card key={`${o.kind}:${o.id}`} withBorder component="li">
              <Group justify="space-between" wrap="wrap">
                <Text fw={700}>{o.label}</Text>
                <Badge variant="light" c="dark">
                  {t(`offerKind.${o.kind}`)}
                </Badge>
              </Group>
              <Text size="sm">{o.reason}</Text>
              {o.saving ? (
                <Text size="sm">{t('offers.saving', { amount: formatMoney(o.saving) })}</Text>
              ) : null}
              {o.sku ? (
                <Text size="sm" c="dimmed">
                  {t('timeline.sku', { sku: o.sku })}
                </Text>
              ) : null}
            </Card>
          ))}
        </SimpleGrid>
      )}
    </Stack>
  );
}

/** Who read or used her data, when, through which channel, for what. */
export function DataUseList() {
  const { t } = useTranslation('customers');
  const pages = usePaged('dataUse', dataUsePage);
  if (pages.isPending) return <Loading />;
  if (pages.isError) return <ErrorAlert error={pages.error} />;
  const uses = pages.data.pages.flatMap((p) => p.items);
  if (uses.length === 0) return <Text>{t('dataUse.none')}</Text>;
  return (
    <Stack>
      <DataTable
        caption={t('dataUse.title')}
        hiddenCaption
        head={[
          t('field.at'),
          t('dataUse.actor'),
          t('field.channel'),
          t('dataUse.purpose'),
          t('dataUse.what'),
        ]}
      >
        {uses.map((u, i) => (
          <Table.Tr key={`${u.at}:${i}`}>
            <Table.Td>{formatDateTime(u.at, true)}</Table.Td>
            <Table.Td style={{ wordBreak: 'break-word' }}>{u.actor}</Table.Td>
            <Table.Td>{channelLabel(t, u.channel)}</Table.Td>
            <Table.Td>{purposeLabel(t, u.purpose)}</Table.Td>
            <Table.Td>{u.what}</Table.Td>
          </Table.Tr>
        ))}
      </DataTable>
      <MoreButton pages={pages} />
    </Stack>
  );
}

/** The corrections of her profile, newest first. */
export function HistoryList() {
  const { t } = useTranslation('customers');
  const { profile } = useCustomer();
  const history = useQuery({
    queryKey: ['customer', profile.id, 'history'],
    queryFn: () => profileHistory(profile.id),
  });
  if (history.isPending) return <Loading />;
  if (history.isError) return <ErrorAlert error={history.error} />;
  if (history.data.length === 0) return <Text>{t('history.none')}</Text>;
  return (
    <DataTable
      caption={t('history.title')}
      hiddenCaption
      head={[
        t('field.at'),
        t('history.field'),
        t('history.old'),
        t('history.new'),
        t('field.channel'),
        t('dataUse.actor'),
      ]}
    >
      {history.data.map((h, i) => (
        <Table.Tr key={`${h.at}:${h.field}:${i}`}>
          <Table.Td>{formatDateTime(h.at, true)}</Table.Td>
          <Table.Td>{h.field}</Table.Td>
          <Table.Td style={{ wordBreak: 'break-word' }}>{h.oldValue ?? '—'}</Table.Td>
          <Table.Td style={{ wordBreak: 'break-word' }}>{h.newValue ?? '—'}</Table.Td>
          <Table.Td>{channelLabel(t, h.channel)}</Table.Td>
          <Table.Td style={{ wordBreak: 'break-word' }}>{h.actor}</Table.Td>
        </Table.Tr>
      ))}
    </DataTable>
  );
}
