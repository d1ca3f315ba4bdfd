import { Alert, Anchor, Badge, Card, Group, Progress, SimpleGrid, Stack, Tabs, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { useAccess } from '../../api/session';
import { ErrorAlert, Loading, PageHeader } from '../../ui/feedback';
import { formatNumber } from '../../ui/format';
import { ActionBar } from './Actions';
import { tierName, useLoyaltyTiers, type ProgramTier } from '../../ui/loyalty';
import { customerProfile, type CustomerProfile } from './api';
import { CustomerContext, useRefreshCustomer } from './context';
import { DataUseList, HistoryList, NextBestOffersList, OrdersList } from './Lists';
import { Overview } from './Overview';
import { QuotePanel } from './QuotePanel';
import { Timeline } from './Timeline';

/** The view's tabs, in order. */
const TABS = ['overview', 'timeline', 'orders', 'offers', 'quote', 'dataUse', 'history'] as const;
type Tab = (typeof TABS)[number];

/**
 * Progress from her tier's threshold to the next one's, 0–100, from the points still needed; null when there
 * is no next tier or the programme is unknown.
 */
function tierProgress(loyalty: NonNullable<CustomerProfile['loyalty']>, tiers: ProgramTier[]): number | null {
  const current = tiers.find((t) => t.id === loyalty.tier);
  const next = tiers.find((t) => t.id === loyalty.nextTier);
  if (!current || !next || loyalty.pointsToNextTier === null) return null;
  const span = next.threshold - current.threshold;
  if (span <= 0) return null;
  const earned = next.threshold - loyalty.pointsToNextTier - current.threshold;
  return Math.max(0, Math.min(100, Math.round((earned / span) * 100)));
}

/** Tier, points and the way to the next tier. */
function LoyaltyCard({ profile, tiers }: { profile: CustomerProfile; tiers: ProgramTier[] }) {
  const { t } = useTranslation('customers');
  const l = profile.loyalty;
  if (!l)
    return (
      <Card withBorder>
        <Text>{t('loyalty.none')}</Text>
      </Card>
    );
  const progress = tierProgress(l, tiers);
  return (
    <Card withBorder component="section" aria-labelledby="loyalty-heading">
      <Text fw={700} id="loyalty-heading" mb="xs">
        {t('loyalty.title')}
      </Text>
      <SimpleGrid cols={{ base: 1, xs: 3 }}>
        <div>
          <Text size="sm" c="dimmed">
            {t('loyalty.tier')}
          </Text>
          <Text size="xl" fw={700} data-testid="customer-tier">
            {tierName(tiers, l.tier)}
          </Text>
        </div>
        <div>
          <Text size="sm" c="dimmed">
            {t('loyalty.points')}
          </Text>
          <Text size="xl" fw={700}>
            {formatNumber(l.points)}
          </Text>
        </div>
        <div>
          <Text size="sm" c="dimmed">
            {t('loyalty.next')}
          </Text>
          {l.nextTier === null ? (
            <Text>{t('loyalty.top')}</Text>
          ) : (
            <Stack gap={4}>
              <Text>
                {t('loyalty.toNext', {
                  points: formatNumber(l.pointsToNextTier ?? 0),
                  tier: tierName(tiers, l.nextTier),
                })}
              </Text>
              {progress === null ? null : (
                <Progress
                  value={progress}
                  aria-label={t('loyalty.progress', { tier: tierName(tiers, l.nextTier) })}
                />
              )}
            </Stack>
          )}
        </div>
      </SimpleGrid>
      {l.benefits.length > 0 ? (
        <Group gap="xs" mt="sm">
          <Text size="sm">{t('loyalty.benefits')}:</Text>
          {l.benefits.map((b) => (
            <Badge key={b} variant="light" c="dark" tt="none">
              {b}
            </Badge>
          ))}
        </Group>
      ) : null}
    </Card>
  );
}

/** `/customers/:id`: one customer across every touchpoint, and (with write access) what staff may do. */
export function CustomerView() {
  const { t } = useTranslation('customers');
  const { id = '' } = useParams();
  const access = useAccess();
  const refresh = useRefreshCustomer();
  const [tab, setTab] = useState<Tab>('overview');
  const [notice, setNotice] = useState<string | null>(null);
  const [merges, setMerges] = useState<{ merged: string | null; undone: string[] }>({
    merged: null,
    undone: [],
  });
  const profile = useQuery({ queryKey: ['customer', id, 'profile'], queryFn: () => customerProfile(id) });
  const tiers = useLoyaltyTiers();

  const back = (
    <Anchor component={Link} to="/customers">
      {t('back')}
    </Anchor>
  );
  if (profile.isPending) return <Loading />;
  if (profile.isError)
    return (
      <Stack>
        <PageHeader title={t('customer')} />
        <ErrorAlert error={profile.error} />
        {back}
      </Stack>
    );
  if (!profile.data)
    return (
      <Stack>
        <PageHeader title={t('customer')} intro={t('notFound')} />
        {back}
      </Stack>
    );

  const p = profile.data;
  return (
    <CustomerContext.Provider
      value={{
        profile: p,
        tiers,
        canWrite: access.can('customers', true),
        changed: (message) => {
          setNotice(message);
          void refresh(p.id);
        },
        merges,
        noteMerge: (change) =>
          setMerges((m) =>
            'merged' in change
              ? { ...m, merged: change.merged }
              : {
                  merged: m.merged === change.undone ? null : m.merged,
                  undone: [...m.undone, change.undone],
                },
          ),
      }}
    >
      <Stack>
        {back}
        <PageHeader title={p.displayName ?? t('noName')} intro={t('customerIntro')} />
        <div role="status" aria-live="polite">
          {notice ? (
            <Alert
              color="green"
              withCloseButton
              onClose={() => setNotice(null)}
              closeButtonLabel={t('close')}
            >
              {notice}
            </Alert>
          ) : null}
        </div>
        <LoyaltyCard profile={p} tiers={tiers} />
        <ActionBar />
        <Tabs value={tab} onChange={(v) => setTab((v as Tab | null) ?? 'overview')} keepMounted={false}>
          <Tabs.List aria-label={t('tabs.label')} style={{ flexWrap: 'wrap' }}>
            {TABS.map((k) => (
              <Tabs.Tab key={k} value={k}>
                {t(`tabs.${k}`)}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          <Tabs.Panel value="overview" pt="md">
            <Overview />
          </Tabs.Panel>
          <Tabs.Panel value="timeline" pt="md">
            <Timeline />
          </Tabs.Panel>
          <Tabs.Panel value="orders" pt="md">
            <OrdersList />
          </Tabs.Panel>
          <Tabs.Panel value="offers" pt="md">
            <NextBestOffersList />
          </Tabs.Panel>
          <Tabs.Panel value="quote" pt="md">
            <QuotePanel />
          </Tabs.Panel>
          <Tabs.Panel value="dataUse" pt="md">
            <DataUseList />
          </Tabs.Panel>
          <Tabs.Panel value="history" pt="md">
            <HistoryList />
          </Tabs.Panel>
        </Tabs>
      </Stack>
    </CustomerContext.Provider>
  );
}
