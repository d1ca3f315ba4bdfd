import { Alert, Anchor, Button, Group, NumberInput, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiError } from '../../api/client';
import { useAccess } from '../../api/session';
import { ErrorAlert, Loading } from '../../ui/feedback';
import { formatNumber } from '../../ui/format';
import { fetchLocations } from '../mirror/mirror-api';
import { ScrollTable } from '../mirror/ScrollTable';
import { rememberChange } from '../mirror/propagation';
import { fetchStock, putStockCount, type StockLevel } from './stock-api';

/**
 * A SKU's stock per location — on hand, reserved, safety stock, available — limited to the key's locations
 * when it is location-scoped, with a count to set where the key may act.
 */
export function StockSection({ sku }: { sku: string }) {
  const { t } = useTranslation('stock');
  const { can, atLocation } = useAccess();
  const stock = useQuery({ queryKey: ['stock', sku], queryFn: () => fetchStock(sku) });
  const locations = useQuery({ queryKey: ['locations'], queryFn: fetchLocations, staleTime: 60_000 });
  const [editing, setEditing] = useState<StockLevel | null>(null);
  const [saved, setSaved] = useState<{ revision: number; locationId: string } | null>(null);
  const nameOf = (id: string) => locations.data?.find((l) => l.id === id)?.name ?? id;
  const levels = (stock.data ?? []).filter((l) => atLocation(l.locationId));
  const mayCount = (id: string) => can('stock', true) && atLocation(id);

  return (
    <Stack gap="sm" component="section" aria-labelledby="stock-heading">
      <Title order={2} size="h3" id="stock-heading">
        {t('stock.heading')}
      </Title>
      {stock.error ? <ErrorAlert error={stock.error} /> : null}
      {stock.isPending ? <Loading /> : null}
      {stock.data ? (
        levels.length === 0 ? (
          <Text>{t('stock.none')}</Text>
        ) : (
          <ScrollTable minWidth={560} label={t('stock.caption', { sku })}>
            <Table striped highlightOnHover>
              <Table.Caption>{t('stock.caption', { sku })}</Table.Caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('stock.location')}</Table.Th>
                  <Table.Th scope="col">{t('stock.onHand')}</Table.Th>
                  <Table.Th scope="col">{t('stock.reserved')}</Table.Th>
                  <Table.Th scope="col">{t('stock.safety')}</Table.Th>
                  <Table.Th scope="col">{t('stock.available')}</Table.Th>
                  <Table.Th scope="col">{t('stock.revision')}</Table.Th>
                  {can('stock', true) ? <Table.Th scope="col">{t('stock.actions')}</Table.Th> : null}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {levels.map((l) => (
                  <Table.Tr key={l.locationId}>
                    <Table.Th scope="row" fw={400}>
                      {nameOf(l.locationId)} ({l.locationId})
                    </Table.Th>
                    <Table.Td>{formatNumber(l.onHand)}</Table.Td>
                    <Table.Td>{formatNumber(l.reserved)}</Table.Td>
                    <Table.Td>{formatNumber(l.safetyStock)}</Table.Td>
                    <Table.Td fw={700}>{formatNumber(l.available)}</Table.Td>
                    <Table.Td>{l.revision}</Table.Td>
                    {can('stock', true) ? (
                      <Table.Td>
                        {mayCount(l.locationId) ? (
                          <Button
                            size="xs"
                            variant="default"
                            onClick={() => {
                              setSaved(null);
                              setEditing(l);
                            }}
                            aria-label={t('stock.setCountAt', { location: nameOf(l.locationId) })}
                          >
                            {t('stock.setCount')}
                          </Button>
                        ) : null}
                      </Table.Td>
                    ) : null}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollTable>
        )
      ) : null}
      {editing ? (
        <CountForm
          key={`${editing.locationId}:${editing.revision}`}
          level={editing}
          locationName={nameOf(editing.locationId)}
          onDone={(revision) => {
            setEditing(null);
            setSaved({ revision, locationId: editing.locationId });
          }}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      {saved ? (
        <Alert role="status" variant="outline" color="teal.9" title={t('stock.saved')}>
          <Stack gap={4}>
            <Text size="sm">
              {t('stock.savedBody', { location: nameOf(saved.locationId), revision: saved.revision })}
            </Text>
            <Anchor component={Link} to={`/mirror?sku=${encodeURIComponent(sku)}`}>
              {t('watchInMirror')}
            </Anchor>
          </Stack>
        </Alert>
      ) : null}
    </Stack>
  );
}

/** A whole number typed in a field (NumberInput gives a number, or '' when empty), else null. */
function wholeNumber(value: number | string): number | null {
  if (typeof value === 'number') return Number.isInteger(value) ? value : null;
  return /^\s*-?\d+\s*$/.test(value) ? Number(value) : null;
}

function CountForm({
  level,
  locationName,
  onDone,
  onCancel,
}: {
  level: StockLevel;
  locationName: string;
  onDone(revision: number): void;
  onCancel(): void;
}) {
  const { t } = useTranslation('stock');
  const queryClient = useQueryClient();
  const [onHand, setOnHand] = useState<number | string>(level.onHand);
  const [safety, setSafety] = useState<number | string>(level.safetyStock);
  // An empty or unreadable field is never sent as 0: a count is what staff typed, or nothing is saved.
  const [missing, setMissing] = useState<{ onHand?: string; safetyStock?: string }>({});
  const save = useMutation({
    mutationFn: (count: { onHand: number; safetyStock: number }) =>
      putStockCount(level.sku, level.locationId, { ...count, expectedRevision: level.revision }),
    onSuccess: (res) => {
      rememberChange('stock', level.sku, res.revision);
      void queryClient.invalidateQueries({ queryKey: ['stock', level.sku] });
      onDone(res.revision);
    },
    onError: (e) => {
      if (e instanceof ApiError && e.code === 'CONFLICT')
        void queryClient.invalidateQueries({ queryKey: ['stock', level.sku] });
    },
  });
  const fieldErrors = {
    ...(save.error instanceof ApiError ? save.error.fieldErrors('body.') : {}),
    ...missing,
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const count = { onHand: wholeNumber(onHand), safetyStock: wholeNumber(safety) };
    const refused = {
      ...(count.onHand === null ? { onHand: t('stock.wholeNumber') } : {}),
      ...(count.safetyStock === null ? { safetyStock: t('stock.wholeNumber') } : {}),
    };
    setMissing(refused);
    if (count.onHand === null || count.safetyStock === null) return;
    save.mutate({ onHand: count.onHand, safetyStock: count.safetyStock });
  };
  return (
    <Paper withBorder p="sm" component="form" onSubmit={submit} aria-label={t('stock.formLabel')}>
      <Stack gap="sm">
        <Title order={3} size="h5">
          {t('stock.formTitle', { location: locationName })}
        </Title>
        <Group align="flex-start" wrap="wrap">
          <NumberInput
            label={t('stock.onHand')}
            value={onHand}
            onChange={setOnHand}
            allowDecimal={false}
            error={fieldErrors.onHand}
            w={160}
          />
          <NumberInput
            label={t('stock.safety')}
            value={safety}
            onChange={setSafety}
            allowDecimal={false}
            error={fieldErrors.safetyStock}
            w={160}
          />
        </Group>
        {save.error && Object.keys(fieldErrors).length === 0 ? <ErrorAlert error={save.error} /> : null}
        <Group>
          <Button type="submit" loading={save.isPending}>
            {t('stock.saveCount')}
          </Button>
          <Button variant="default" onClick={onCancel}>
            {t('cancel')}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
