import { Anchor, Button, Group, Progress, Select, Stack, Table, Text } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useAccess } from '../../api/session';
import { DataTable } from '../../ui/DataTable';
import { ErrorAlert, Loading } from '../../ui/feedback';
import { formatDateTime, formatMoney } from '../../ui/format';
import { listPromotions, STATUSES, type PromotionStatus } from './api';
import { BUDGET_CURRENCY } from './draft';

const PAGE_SIZE = 25;

/** The promotions in id order, by status, a page at a time; "New promotion" for a key that may write. */
export function PromotionList() {
  const { t } = useTranslation('promotions');
  const { can } = useAccess();
  const [status, setStatus] = useState<PromotionStatus | null>(null);
  /** The cursors of the pages before this one (the first page's is null). */
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const after = cursors[cursors.length - 1] ?? null;
  const list = useQuery({
    queryKey: ['promotions', 'list', status, after],
    queryFn: () => listPromotions({ status, after, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });

  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Select
          label={t('list.status')}
          data={[
            { value: '', label: t('list.allStatuses') },
            ...STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) })),
          ]}
          value={status ?? ''}
          allowDeselect={false}
          onChange={(v) => {
            setStatus(v ? (v as PromotionStatus) : null);
            setCursors([null]);
          }}
          w={220}
        />
        {can('promotions', true) ? (
          <Button component={Link} to="new">
            {t('list.new')}
          </Button>
        ) : null}
      </Group>
      {list.isError ? <ErrorAlert error={list.error} /> : null}
      {list.isPending ? (
        <Loading />
      ) : list.data ? (
        <>
          <DataTable
            caption={t('list.caption')}
            minWidth={760}
            tableProps={{ highlightOnHover: true, withTableBorder: false }}
            head={[
              t('list.promotion'),
              t('list.statusColumn'),
              t('list.window'),
              t('list.action'),
              t('list.stacking'),
              t('list.budget'),
            ]}
          >
            {list.data.promotions.length === 0 ? (
              <Table.Tr>
                <Table.Td colSpan={6}>{t('list.empty')}</Table.Td>
              </Table.Tr>
            ) : null}
            {list.data.promotions.map((p) => (
              <Table.Tr key={p.id}>
                <Table.Td>
                  <Anchor component={Link} to={encodeURIComponent(p.id)} fw={500}>
                    {p.label}
                  </Anchor>
                  <Text size="xs">
                    {p.id}
                    {p.couponRequired ? ` · ${t('list.coupon')}` : ''}
                    {p.personal ? ` · ${t('list.personal')}` : ''}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" fw={600}>
                    {t(`status.${p.status}`)}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" fw={600}>
                    {t(`window.${p.window}`)}
                  </Text>
                  <Text size="xs">
                    {p.validFrom || p.validTo
                      ? `${formatDateTime(p.validFrom)} – ${formatDateTime(p.validTo)}`
                      : t('list.always')}
                    {p.recurring ? ` · ${t('list.recurring')}` : ''}
                  </Text>
                </Table.Td>
                <Table.Td>{t(`action.${p.action}`)}</Table.Td>
                <Table.Td>{t(`stacking.${p.stacking}`)}</Table.Td>
                <Table.Td>
                  <BudgetUse spent={p.budgetSpent} amount={p.budgetAmount} label={p.label} />
                </Table.Td>
              </Table.Tr>
            ))}
          </DataTable>
          <Group>
            <Button
              variant="default"
              disabled={cursors.length <= 1}
              onClick={() => setCursors(cursors.slice(0, -1))}
            >
              {t('list.previous')}
            </Button>
            <Button
              variant="default"
              disabled={!list.data.next}
              onClick={() => list.data.next && setCursors([...cursors, list.data.next])}
            >
              {t('list.next')}
            </Button>
          </Group>
        </>
      ) : null}
    </Stack>
  );
}

/** What a promotion's budget gave away: "€ 12,00 of € 500,00" and a bar; "No budget" without one. */
export function BudgetUse({ spent, amount, label }: { spent: number; amount: number | null; label: string }) {
  const { t } = useTranslation('promotions');
  const money = (a: number) => formatMoney({ amount: a, currency: BUDGET_CURRENCY });
  if (amount === null) return <Text size="sm">{t('budget.none', { spent: money(spent) })}</Text>;
  const share = amount === 0 ? 100 : Math.min(100, Math.round((spent * 100) / amount));
  return (
    <Stack gap={4}>
      <Text size="sm">{t('budget.use', { spent: money(spent), amount: money(amount) })}</Text>
      <Progress value={share} aria-label={t('budget.bar', { label })} size="sm" />
    </Stack>
  );
}
