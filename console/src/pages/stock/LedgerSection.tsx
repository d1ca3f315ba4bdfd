import { Button, Group, NativeSelect, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useAccess } from '../../api/session';
import { ErrorAlert, Loading } from '../../ui/feedback';
import { formatDateTime, formatNumber } from '../../ui/format';
import { fetchLocations } from '../mirror/mirror-api';
import { ScrollTable } from '../mirror/ScrollTable';
import { fetchStockMovements } from './stock-api';

/** A signed change of units: `+3`, `−2`, `0`. */
function signed(n: number): string {
  return n > 0 ? `+${formatNumber(n)}` : n < 0 ? `\u2212${formatNumber(-n)}` : formatNumber(0);
}

/**
 * A SKU's movement ledger, newest first, a page at a time ("Show more"): every receipt, adjustment, transfer
 * end, count, reservation, release, sale and return with its change, the level right after it, what it
 * belongs to and who made it. A location filter offers the key's own locations only when it is
 * location-scoped (the first chosen at the start: the hub answers such a key for one of its locations at a
 * time), else every location and "all". Its query sits under `['stock', sku]`, so a count saved on the
 * page refreshes it.
 */
export function LedgerSection({ sku }: { sku: string }) {
  const { t } = useTranslation('stock');
  const { session, atLocation } = useAccess();
  const scoped = session.locations;
  const [location, setLocation] = useState<string>(scoped?.[0] ?? '');
  const locations = useQuery({ queryKey: ['locations'], queryFn: fetchLocations, staleTime: 60_000 });
  const ledger = useInfiniteQuery({
    queryKey: ['stock', sku, 'movements', location],
    queryFn: ({ pageParam }) => fetchStockMovements(sku, location, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next ?? undefined,
  });
  const own = (locations.data ?? []).filter((l) => atLocation(l.id));
  const nameOf = (id: string) => locations.data?.find((l) => l.id === id)?.name ?? id;
  const rows = ledger.data?.pages.flatMap((p) => p.movements) ?? [];
  const caption = t('ledger.caption', { sku });

  return (
    <Stack gap="sm" component="section" aria-labelledby="ledger-heading">
      <Title order={2} size="h3" id="ledger-heading">
        {t('ledger.heading')}
      </Title>
      <NativeSelect
        label={t('ledger.location')}
        value={location}
        onChange={(e) => setLocation(e.currentTarget.value)}
        maw={360}
        data={[
          ...(scoped === null ? [{ value: '', label: t('ledger.allLocations') }] : []),
          ...(own.length > 0
            ? own.map((l) => ({ value: l.id, label: `${l.name} (${l.id})` }))
            : (scoped ?? []).map((id) => ({ value: id, label: id }))),
        ]}
      />
      {ledger.error ? <ErrorAlert error={ledger.error} /> : null}
      {ledger.isPending ? <Loading /> : null}
      {ledger.data ? (
        rows.length === 0 ? (
          <Text>{t('ledger.none')}</Text>
        ) : (
          <ScrollTable minWidth={960} label={caption}>
            <Table striped>
              <Table.Caption>{caption}</Table.Caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('ledger.at')}</Table.Th>
                  <Table.Th scope="col">{t('ledger.movement')}</Table.Th>
                  <Table.Th scope="col">{t('stock.location')}</Table.Th>
                  <Table.Th scope="col">{t('ledger.onHandChange')}</Table.Th>
                  <Table.Th scope="col">{t('ledger.reservedChange')}</Table.Th>
                  <Table.Th scope="col">{t('ledger.onHandAfter')}</Table.Th>
                  <Table.Th scope="col">{t('ledger.reservedAfter')}</Table.Th>
                  <Table.Th scope="col">{t('ledger.reference')}</Table.Th>
                  <Table.Th scope="col">{t('ledger.actor')}</Table.Th>
                  <Table.Th scope="col">{t('stock.revision')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((m) => (
                  <Table.Tr key={m.id}>
                    <Table.Td>{formatDateTime(m.at, true)}</Table.Td>
                    <Table.Th scope="row" fw={400}>
                      {t(`ledger.kind.${m.kind}`)}
                    </Table.Th>
                    <Table.Td>{nameOf(m.locationId)}</Table.Td>
                    <Table.Td>{signed(m.onHandDelta)}</Table.Td>
                    <Table.Td>{signed(m.reservedDelta)}</Table.Td>
                    <Table.Td fw={700}>{formatNumber(m.onHandAfter)}</Table.Td>
                    <Table.Td>{formatNumber(m.reservedAfter)}</Table.Td>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>
                      {m.reference ?? '—'}
                      {m.reason ? ` (${m.reason})` : ''}
                      {m.safetyStockDelta !== 0
                        ? ` · ${t('ledger.safetyChange', { change: signed(m.safetyStockDelta) })}`
                        : ''}
                    </Table.Td>
                    <Table.Td>{m.actor ?? '—'}</Table.Td>
                    <Table.Td>{m.revision}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollTable>
        )
      ) : null}
      {ledger.hasNextPage ? (
        <Group>
          <Button
            variant="default"
            onClick={() => void ledger.fetchNextPage()}
            loading={ledger.isFetchingNextPage}
          >
            {t('ledger.more')}
          </Button>
        </Group>
      ) : null}
    </Stack>
  );
}
