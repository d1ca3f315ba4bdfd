import { Button, Group, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { DataTable } from '../../ui/DataTable';
import { ErrorAlert, Loading, PageHeader } from '../../ui/feedback';
import { formatBasisPoints, formatDateTime, formatMoney, formatNumber } from '../../ui/format';
import { channelLabel } from '../../ui/labels';
import { retryUnlessRefused } from '../../ui/query';
import { HealthSection } from './HealthSection';
import { StatCard } from './StatCard';
import { fetchKpis, isDay, shiftDay, utcDay, type Kpis, type SalesFigures } from './kpis';

/** How often the figures are read again while the page is open. */
const REFRESH_MS = 10_000;

/**
 * The dashboard: the figures of one UTC day by channel and per currency (`GET /admin/v1/kpis`), and the hub's
 * health, read again every 10 s and on demand. The day is kept in the address (`?day=YYYY-MM-DD`); without
 * one it is the hub's today.
 */
export default function DashboardPage() {
  const { t } = useTranslation('dashboard');
  const [params, setParams] = useSearchParams();
  const asked = params.get('day');
  const day = isDay(asked) ? asked : null;
  const kpis = useQuery({
    queryKey: ['kpis', day],
    queryFn: () => fetchKpis(day),
    refetchInterval: REFRESH_MS,
    placeholderData: keepPreviousData,
    // A refusal is not asked again at once (the next refresh asks anyway); a failure to reach the hub is.
    retry: retryUnlessRefused,
  });
  const shownDay = day ?? (kpis.data ? utcDay(kpis.data.from) : '');
  const goTo = (next: string | null) => setParams(next === null ? {} : { day: next });

  return (
    <Stack gap="lg">
      <PageHeader title={t('title')} intro={t('intro')} />
      <Group align="flex-end" wrap="wrap" gap="sm">
        <TextInput
          type="date"
          label={t('day')}
          value={shownDay}
          onChange={(e) => {
            const v = e.currentTarget.value;
            if (isDay(v)) goTo(v);
          }}
          w={180}
        />
        <Button variant="default" disabled={!shownDay} onClick={() => goTo(shiftDay(shownDay, -1))}>
          {t('previousDay')}
        </Button>
        <Button variant="default" disabled={!shownDay} onClick={() => goTo(shiftDay(shownDay, 1))}>
          {t('nextDay')}
        </Button>
        <Button variant="default" onClick={() => goTo(null)}>
          {t('today')}
        </Button>
        <Button onClick={() => void kpis.refetch()}>{t('refresh')}</Button>
      </Group>
      {kpis.isError ? <ErrorAlert error={kpis.error} /> : null}
      {kpis.data ? (
        <Figures kpis={kpis.data} updatedAt={kpis.dataUpdatedAt} />
      ) : kpis.isPending ? (
        <Loading />
      ) : null}
    </Stack>
  );
}

function Figures({ kpis, updatedAt }: { kpis: Kpis; updatedAt: number }) {
  const { t } = useTranslation('dashboard');
  const currencies = kpis.sales.total;
  const members = (
    <StatCard
      title={t('members')}
      value={formatNumber(kpis.loyaltyMembersServed.total)}
      detail={t('membersHint')}
    />
  );
  return (
    <Stack gap="lg">
      <Stack gap={2}>
        <Text data-testid="kpi-window">
          {t('window', { from: formatDateTime(kpis.from), to: formatDateTime(kpis.to) })}
        </Text>
        <Text size="sm" c="dimmed">
          {t('updatedAt', { time: formatDateTime(new Date(updatedAt).toISOString(), true) })}
        </Text>
      </Stack>
      <Stack gap="md" component="section" aria-labelledby="dashboard-sales">
        <Title order={2} size="h3" id="dashboard-sales">
          {t('sales')}
        </Title>
        {currencies.length === 0 ? (
          <>
            <Text>{t('noSales')}</Text>
            <SimpleGrid cols={{ base: 2, md: 3 }}>{members}</SimpleGrid>
          </>
        ) : (
          currencies.map((total) => (
            <CurrencySales
              key={total.currency}
              kpis={kpis}
              total={total}
              heading={currencies.length > 1}
              extra={currencies.length === 1 ? members : null}
            />
          ))
        )}
        {currencies.length > 1 ? <SimpleGrid cols={{ base: 2, md: 3 }}>{members}</SimpleGrid> : null}
      </Stack>
      <HealthSection health={kpis.health} />
    </Stack>
  );
}

/** The stat cards and the per-channel table of one currency. */
function CurrencySales({
  kpis,
  total,
  heading,
  extra,
}: {
  kpis: Kpis;
  total: SalesFigures;
  heading: boolean;
  extra: ReactNode;
}) {
  const { t } = useTranslation('dashboard');
  const rows = kpis.sales.byChannel.filter((r) => r.currency === total.currency);
  const membersOf = new Map(kpis.loyaltyMembersServed.byChannel.map((m) => [m.channel, m.members]));
  return (
    <Stack gap="sm">
      {heading ? (
        <Title order={3} size="h4">
          {t('salesIn', { currency: total.currency })}
        </Title>
      ) : null}
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }}>
        <StatCard title={t('revenue')} value={formatMoney(total.revenue)} />
        <StatCard title={t('orders')} value={formatNumber(total.orders)} />
        <StatCard title={t('averageBasket')} value={formatMoney(total.averageBasket)} />
        <StatCard
          title={t('clickAndCollect')}
          value={share(total)}
          detail={
            total.onlineOrders === 0
              ? t('noOnline')
              : t('clickAndCollectOf', {
                  pickup: formatNumber(total.clickAndCollectOrders),
                  online: formatNumber(total.onlineOrders),
                })
          }
        />
        <StatCard
          title={t('returns')}
          value={formatNumber(total.returns.count)}
          detail={t('refunded', { amount: formatMoney(total.returns.refunded) })}
        />
        {extra}
      </SimpleGrid>
      <DataTable
        caption={t('byChannel', { currency: total.currency })}
        minWidth={760}
        head={[
          t('channel'),
          t('revenue'),
          t('orders'),
          t('averageBasket'),
          t('clickAndCollect'),
          t('returns'),
          t('members'),
        ]}
      >
        {rows.map((r) => (
          <Table.Tr key={r.channel} data-channel={r.channel}>
            <Table.Th scope="row">
              {r.channel === 'ADMIN' ? t('channel.ADMIN') : channelLabel(t, r.channel)}
            </Table.Th>
            <Table.Td>{formatMoney(r.revenue)}</Table.Td>
            <Table.Td>{formatNumber(r.orders)}</Table.Td>
            <Table.Td>{formatMoney(r.averageBasket)}</Table.Td>
            <Table.Td>{share(r)}</Table.Td>
            <Table.Td>
              {formatNumber(r.returns.count)} ({formatMoney(r.returns.refunded)})
            </Table.Td>
            <Table.Td>{formatNumber(membersOf.get(r.channel) ?? 0)}</Table.Td>
          </Table.Tr>
        ))}
      </DataTable>
    </Stack>
  );
}

function share(f: SalesFigures): string {
  return f.clickAndCollectShare === null ? '—' : formatBasisPoints(f.clickAndCollectShare);
}
