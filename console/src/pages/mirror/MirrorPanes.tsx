import { Alert, Badge, Card, Code, Group, List, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { DataTable } from '../../ui/DataTable';
import { formatDateTime, formatMoney, formatNumber } from '../../ui/format';
import { channelLabel } from '../../ui/labels';
import { tierName, useLoyaltyTiers } from '../../ui/loyalty';
import { MIRROR_CHANNELS, shortFingerprint, type ChannelMirror, type MirrorPane } from './mirror-api';

/** The fingerprint most panes answer (the first pane's on a tie), or null without panes. */
export function majorityFingerprint(panes: MirrorPane[]): string | null {
  const counts = new Map<string, number>();
  for (const p of panes) counts.set(p.fingerprint, (counts.get(p.fingerprint) ?? 0) + 1);
  let best: string | null = null;
  let bestCount = 0;
  for (const p of panes) {
    const c = counts.get(p.fingerprint) ?? 0;
    if (c > bestCount) {
      best = p.fingerprint;
      bestCount = c;
    }
  }
  return best;
}

/** The panes in the mirror's channel order (unknown channels after them). */
function ordered(panes: MirrorPane[]): MirrorPane[] {
  const rank = (c: string) => {
    const i = (MIRROR_CHANNELS as readonly string[]).indexOf(c);
    return i === -1 ? MIRROR_CHANNELS.length : i;
  };
  return [...panes].sort((a, b) => rank(a.channel) - rank(b.channel));
}

/**
 * The verdict in words (never colour alone): identical in every channel, or which channels differ from the
 * others.
 */
export function Verdict({ mirror }: { mirror: ChannelMirror }) {
  const { t } = useTranslation('mirror');
  const majority = majorityFingerprint(mirror.panes);
  const differing = mirror.panes
    .filter((p) => p.error !== null || p.fingerprint !== majority)
    .map((p) => channelLabel(t, p.channel));
  return (
    <Alert
      role="status"
      aria-live="polite"
      data-testid="mirror-verdict"
      color={mirror.identical ? 'teal.9' : 'red.9'}
      variant="outline"
      title={mirror.identical ? t('verdict.identical') : t('verdict.differs')}
    >
      <Text size="sm">
        {mirror.identical
          ? t('verdict.identicalBody', { count: mirror.panes.length })
          : t('verdict.differsBody', { list: differing.join(', ') || '—' })}
      </Text>
    </Alert>
  );
}

/** The four channels' answers side by side (two by two on a tablet, stacked on a phone). */
export function MirrorPanes({ mirror }: { mirror: ChannelMirror }) {
  const majority = majorityFingerprint(mirror.panes);
  return (
    <SimpleGrid type="container" cols={{ base: 1, '500px': 2, '1000px': 4 }} spacing="sm">
      {ordered(mirror.panes).map((p) => (
        <Pane key={p.channel} pane={p} differs={p.error !== null || p.fingerprint !== majority} />
      ))}
    </SimpleGrid>
  );
}

function Pane({ pane, differs }: { pane: MirrorPane; differs: boolean }) {
  const { t } = useTranslation('mirror');
  const name = channelLabel(t, pane.channel);
  const headingId = `pane-${pane.channel}`;
  return (
    <Card
      withBorder
      padding="sm"
      component="section"
      aria-labelledby={headingId}
      data-testid={`pane-${pane.channel}`}
    >
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap" gap="xs">
          <Title order={2} size="h4" id={headingId}>
            {name}
          </Title>
          {differs ? (
            <Badge color="red.9" variant="outline">
              {t('pane.differs')}
            </Badge>
          ) : (
            <Badge color="teal.9" variant="outline">
              {t('pane.same')}
            </Badge>
          )}
        </Group>
        <Group gap="xs" wrap="wrap">
          <Text size="xs">
            {t('pane.revision')}: <span data-testid="pane-revision">{pane.revision}</span>
          </Text>
          <Text size="xs">
            {t('pane.fingerprint')}:{' '}
            <Code title={pane.fingerprint} data-testid="pane-fingerprint" data-fingerprint={pane.fingerprint}>
              {shortFingerprint(pane.fingerprint)}
            </Code>
          </Text>
        </Group>
        {pane.error ? (
          <Alert color="red.9" variant="outline" title={t('pane.error')}>
            <Text size="sm">{pane.error}</Text>
          </Alert>
        ) : null}
        {pane.offer ? <OfferView pane={pane} /> : null}
        <LoyaltyView pane={pane} />
      </Stack>
    </Card>
  );
}

function OfferView({ pane }: { pane: MirrorPane }) {
  const { t } = useTranslation('mirror');
  const offer = pane.offer!;
  const { price, availability } = offer;
  const reduced = price.final.amount !== price.base.amount;
  return (
    <Stack gap="xs">
      <Title order={3} size="h6">
        {t('pane.price')}
      </Title>
      <Group gap="xs" align="baseline">
        <Text fw={700} size="lg" data-testid="pane-price">
          {formatMoney(price.final)}
        </Text>
        {reduced ? (
          <Text
            size="sm"
            td="line-through"
            aria-label={t('pane.basePrice', { price: formatMoney(price.base) })}
          >
            {formatMoney(price.base)}
          </Text>
        ) : null}
      </Group>
      {price.adjustments.length === 0 ? (
        <Text size="sm">{t('pane.noAdjustments')}</Text>
      ) : (
        <List size="sm" spacing={4} aria-label={t('pane.adjustments')}>
          {price.adjustments.map((a) => (
            <List.Item key={`${a.source}:${a.id}`}>
              <Text size="sm" span fw={600}>
                {a.label}
              </Text>{' '}
              <Text size="sm" span>
                −{formatMoney({ amount: Math.abs(a.amount.amount), currency: a.amount.currency })} (
                {t(`source.${a.source}`, { defaultValue: a.source })})
              </Text>
              <Text size="xs" c="dimmed">
                {a.reason}
              </Text>
            </List.Item>
          ))}
        </List>
      )}

      <Title order={3} size="h6">
        {t('pane.availability')}
      </Title>
      <Text size="sm">
        {t('pane.online', {
          n: formatNumber(availability.online.available),
          status: t(`status.${availability.online.status}`),
        })}
      </Text>
      {availability.atLocation ? (
        <Text size="sm">
          {t('pane.atStore', {
            store: availability.atLocation.location?.name ?? '—',
            n: formatNumber(availability.atLocation.available),
            status: t(`status.${availability.atLocation.status}`),
          })}
        </Text>
      ) : null}
      {availability.locations.length > 0 ? (
        <DataTable
          caption={t('pane.perStore', { channel: channelLabel(t, pane.channel) })}
          minWidth={200}
          tableProps={{
            fz: 'xs',
            verticalSpacing: 2,
            horizontalSpacing: 4,
            striped: false,
            withTableBorder: false,
          }}
          head={[t('pane.location'), t('pane.available'), t('pane.status')]}
        >
          {availability.locations.map((l, i) => (
            <Table.Tr key={l.location?.id ?? i}>
              <Table.Td>{l.location?.name ?? '—'}</Table.Td>
              <Table.Td>{formatNumber(l.available)}</Table.Td>
              <Table.Td>{t(`status.${l.status}`)}</Table.Td>
            </Table.Tr>
          ))}
        </DataTable>
      ) : null}

      <Title order={3} size="h6">
        {t('pane.delivery')}
      </Title>
      {offer.delivery.length === 0 ? (
        <Text size="sm">{t('pane.noDelivery')}</Text>
      ) : (
        <List size="sm" spacing={4} aria-label={t('pane.delivery')}>
          {offer.delivery.map((d, i) => (
            <List.Item key={`${d.method}:${d.from.id}:${i}`}>
              <Text size="sm" span fw={600}>
                {t(`method.${d.method}`)}
              </Text>{' '}
              <Text size="sm" span>
                {d.from.name}: {formatDateTime(d.deliverBy ?? d.readyBy)}
              </Text>
              <Text size="xs" c="dimmed">
                {d.reason} · {t('pane.orderBefore', { at: formatDateTime(d.orderBefore) })}
              </Text>
            </List.Item>
          ))}
        </List>
      )}
    </Stack>
  );
}

/** Her loyalty as this channel answers it: the tier by its name in the programme (not its id). */
function LoyaltyView({ pane }: { pane: MirrorPane }) {
  const { t } = useTranslation('mirror');
  const tiers = useLoyaltyTiers();
  const l = pane.loyalty;
  return (
    <Stack gap={2}>
      <Title order={3} size="h6">
        {t('pane.loyalty')}
      </Title>
      {l ? (
        <>
          <Text size="sm" data-testid="pane-tier">
            {t('pane.tier', { tier: tierName(tiers, l.tier), points: formatNumber(l.points) })}
          </Text>
          {l.nextTier ? (
            <Text size="xs">
              {t('pane.nextTier', {
                tier: tierName(tiers, l.nextTier),
                points: formatNumber(l.pointsToNextTier ?? 0),
              })}
            </Text>
          ) : null}
          {l.benefits.length > 0 ? <Text size="xs">{l.benefits.join(' · ')}</Text> : null}
        </>
      ) : (
        <Text size="sm">{t('pane.noCustomer')}</Text>
      )}
    </Stack>
  );
}
