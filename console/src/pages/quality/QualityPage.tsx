import {
  Anchor,
  Box,
  Button,
  Card,
  Group,
  RingProgress,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { rest } from '../../api/client';
import { useAccess } from '../../api/session';
import { DataTable } from '../../ui/DataTable';
import { ErrorAlert, Loading, PageHeader } from '../../ui/feedback';
import { formatDateTime, formatNumber } from '../../ui/format';

/** One thing to fix: the keys that find it (`{ sku }`, `{ customerId, otherCustomerId }`) and the problem. */
interface QualityItem {
  keys: Record<string, string>;
  problem: string;
}

/** One check of `GET /admin/v1/data-quality`: count failing, score 0–100, population, the first items. */
interface QualityCheck {
  id: string;
  title: string;
  count: number;
  score: number;
  population: number;
  items: QualityItem[];
}

interface QualityReport {
  at: string;
  checks: QualityCheck[];
}

/** The checks the page knows by name (their titles in both languages); others show the hub's title. */
const KNOWN_CHECKS = new Set([
  'product-without-price',
  'price-without-stock',
  'negative-stock',
  'stale-stock-count',
  'reserved-above-on-hand',
  'price-schedule-gap',
  'duplicate-profile-candidates',
  'invalid-identifier',
  'conflicting-promotions',
]);

const LIMITS = ['10', '20', '50', '100'];

/**
 * The data quality page: every check the hub computes (GET /admin/v1/data-quality) with its count, its
 * score as a ring with the number in text, and the list to fix — a product or SKU links to the stock page,
 * a customer to her page, a promotion to its form. The stale age (days) and the items per check are asked;
 * Refresh computes the report again.
 */
export default function QualityPage() {
  const { t } = useTranslation('quality');
  const [staleText, setStaleText] = useState('30');
  const [limitText, setLimitText] = useState('20');
  const [params, setParams] = useState({ staleDays: 30, limit: 20 });
  const [staleError, setStaleError] = useState<string | undefined>(undefined);
  const report = useQuery({
    queryKey: ['quality', params.staleDays, params.limit],
    queryFn: () =>
      rest<QualityReport>('GET', `/data-quality?limit=${params.limit}&staleDays=${params.staleDays}`),
  });

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const days = Number(staleText.trim());
    if (!/^\d+$/.test(staleText.trim()) || days < 1 || days > 3650) {
      setStaleError(t('staleDaysInvalid'));
      return;
    }
    setStaleError(undefined);
    const next = { staleDays: days, limit: Number(limitText) };
    if (next.staleDays === params.staleDays && next.limit === params.limit) void report.refetch();
    else setParams(next);
  };

  const checks = report.data?.checks ?? [];
  const failing = checks.filter((c) => c.count > 0).length;
  return (
    <>
      <PageHeader title={t('title')} intro={t('intro')} />
      <Stack gap="md">
        <form onSubmit={apply}>
          <Group align="flex-end" wrap="wrap" gap="sm">
            <TextInput
              label={t('staleDays')}
              description={t('staleDaysHint')}
              inputMode="numeric"
              value={staleText}
              onChange={(e) => setStaleText(e.currentTarget.value)}
              error={staleError}
              w={220}
            />
            <Select
              label={t('limit')}
              data={LIMITS}
              value={limitText}
              allowDeselect={false}
              onChange={(v) => v && setLimitText(v)}
              w={160}
            />
            <Button type="submit" loading={report.isFetching}>
              {t('refresh')}
            </Button>
          </Group>
        </form>
        <div role="status" aria-live="polite">
          {report.data ? (
            <Text size="sm">
              {t('computedAt', { at: formatDateTime(report.data.at, true) })}{' '}
              {failing === 0 ? t('allClear') : t('failing', { count: failing, total: checks.length })}
            </Text>
          ) : null}
        </div>
        {report.isError ? <ErrorAlert error={report.error} /> : null}
        {report.isPending ? <Loading /> : null}
        <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
          {checks.map((c) => (
            <CheckCard key={c.id} check={c} staleDays={params.staleDays} />
          ))}
        </SimpleGrid>
      </Stack>
    </>
  );
}

function scoreColour(score: number): string {
  return score >= 95 ? 'green.8' : score >= 80 ? 'yellow.8' : 'red.8';
}

/** One check: its name, count, score ring (number in text) and the items to fix. */
function CheckCard({ check, staleDays }: { check: QualityCheck; staleDays: number }) {
  const { t } = useTranslation('quality');
  const headingId = useId();
  const title = KNOWN_CHECKS.has(check.id) ? t(`check.${check.id}`, { days: staleDays }) : check.title;
  return (
    <Card withBorder component="section" aria-labelledby={headingId} padding="md">
      <Group justify="space-between" align="flex-start" wrap="nowrap" gap="sm">
        <Stack gap={4}>
          <Title order={2} size="h4" id={headingId}>
            {title}
          </Title>
          <Text size="sm">{KNOWN_CHECKS.has(check.id) ? t(`why.${check.id}`) : null}</Text>
          <Group gap="xs">
            <Text size="sm" fw={700} c={check.count === 0 ? 'teal.9' : 'red.9'}>
              {t('count', { count: check.count, n: formatNumber(check.count) })}
            </Text>
            <Text size="sm">
              {t('population', { count: check.population, n: formatNumber(check.population) })}
            </Text>
          </Group>
        </Stack>
        <Stack gap={0} align="center">
          <RingProgress
            size={84}
            thickness={8}
            roundCaps
            sections={[{ value: check.score, color: scoreColour(check.score) }]}
            label={
              <Text ta="center" fw={700} size="lg">
                {check.score}
              </Text>
            }
            aria-hidden
          />
          <Text size="xs">{t('score', { score: check.score })}</Text>
        </Stack>
      </Group>
      {check.count === 0 ? (
        <Text size="sm" mt="sm">
          {t('nothingToFix')}
        </Text>
      ) : (
        <>
          <Box mt="sm">
            <DataTable
              caption={t('itemsOf', { title })}
              hiddenCaption
              minWidth={420}
              tableProps={{ withTableBorder: false }}
              head={[t('item'), t('problem')]}
            >
              {check.items.map((item) => (
                <Table.Tr key={JSON.stringify(item.keys)}>
                  <Table.Td>
                    <ItemKeys keys={item.keys} />
                  </Table.Td>
                  <Table.Td>{item.problem}</Table.Td>
                </Table.Tr>
              ))}
            </DataTable>
          </Box>
          {check.count > check.items.length ? (
            <Text size="xs" mt={4}>
              {t('showing', { shown: check.items.length, n: formatNumber(check.count) })}
            </Text>
          ) : null}
        </>
      )}
    </Card>
  );
}

/**
 * An item's keys, each named, linked to where it is fixed when the key may open that page: a SKU to the
 * stock page, a customer to her page, a promotion to its form.
 */
function ItemKeys({ keys }: { keys: Record<string, string> }) {
  const { t } = useTranslation('quality');
  const { can } = useAccess();
  const linkOf = (name: string, value: string): ReactNode => {
    const enc = encodeURIComponent(value);
    if (name === 'sku' && (can('stock') || can('prices')))
      return (
        <Anchor component={Link} to={`/stock?sku=${enc}`}>
          {value}
        </Anchor>
      );
    if ((name === 'customerId' || name === 'otherCustomerId') && can('customers'))
      return (
        <Anchor component={Link} to={`/customers/${enc}`}>
          {value}
        </Anchor>
      );
    if ((name === 'promotionId' || name === 'otherPromotionId') && can('promotions'))
      return (
        <Anchor component={Link} to={`/promotions/${enc}`}>
          {value}
        </Anchor>
      );
    return <span>{value}</span>;
  };
  return (
    <Stack gap={0}>
      {Object.entries(keys).map(([name, value]) => (
        <Text size="sm" key={name}>
          <Text span size="sm" fw={500}>
            {t(`key.${name}`, { defaultValue: name })}:{' '}
          </Text>
          {linkOf(name, value)}
        </Text>
      ))}
    </Stack>
  );
}
