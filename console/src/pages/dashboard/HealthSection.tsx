import { LineChart } from '@mantine/charts';
import { List, SimpleGrid, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { locale } from '../../i18n';
import { formatDateTime, formatNumber } from '../../ui/format';
import { StatCard } from './StatCard';
import type { Kpis, PropagationSample } from './kpis';

/** How many of the newest samples the text alternative lists. */
const LISTED_SAMPLES = 20;

/**
 * The hub's health: committed revision, outbox backlog, read-model lag, the last consistency check's verdict,
 * and the measured commit → visible times as a chart with p50/p99 in words and a table for screen readers.
 */
export function HealthSection({ health }: { health: Kpis['health'] }) {
  const { t } = useTranslation('dashboard');
  const { propagation, consistency } = health;
  return (
    <Stack gap="md" component="section" aria-labelledby="dashboard-health">
      <Title order={2} size="h3" id="dashboard-health">
        {t('health')}
      </Title>
      <SimpleGrid cols={{ base: 2, md: 4 }}>
        <StatCard title={t('revision')} value={formatNumber(health.revision)} />
        <StatCard
          title={t('backlog')}
          value={formatNumber(health.outboxBacklog.unpublished + health.outboxBacklog.undelivered)}
          detail={t('backlogDetail', {
            unpublished: formatNumber(health.outboxBacklog.unpublished),
            undelivered: formatNumber(health.outboxBacklog.undelivered),
          })}
        />
        <StatCard
          title={t('lag')}
          value={propagation.lagRevisions === null ? '—' : t('lagValue', { count: propagation.lagRevisions })}
          detail={
            propagation.readModelRevision === null
              ? t('noReadModel')
              : t('lagDetail', { revision: formatNumber(propagation.readModelRevision) })
          }
        />
        <StatCard
          title={t('consistency')}
          value={
            consistency === undefined ? (
              '—'
            ) : consistency === null ? (
              t('notChecked')
            ) : consistency.ok ? (
              <Text span inherit c="green.9">
                {t('consistent')}
              </Text>
            ) : (
              <Text span inherit c="red.9">
                {t('differences', { count: consistency.differences })}
              </Text>
            )
          }
          detail={
            consistency === undefined ? (
              t('notMeasured')
            ) : consistency === null ? null : (
              <>
                {t('checkedAt', { time: formatDateTime(consistency.checkedAt, true) })}
                {consistency.examples && consistency.examples.length > 0 ? (
                  <List size="xs" mt={4}>
                    {consistency.examples.map((e) => (
                      <List.Item key={e}>{e}</List.Item>
                    ))}
                  </List>
                ) : null}
              </>
            )
          }
        />
      </SimpleGrid>
      <Propagation
        samples={propagation.samples}
        p50Ms={propagation.p50Ms ?? null}
        p99Ms={propagation.p99Ms ?? null}
      />
    </Stack>
  );
}

function Propagation({
  samples,
  p50Ms,
  p99Ms,
}: {
  samples: PropagationSample[] | undefined;
  p50Ms: number | null;
  p99Ms: number | null;
}) {
  const { t } = useTranslation('dashboard');
  const summaryId = useId();
  const time = new Intl.DateTimeFormat(locale(), { timeStyle: 'medium' });
  let body;
  if (samples === undefined) body = <Text>{t('notMeasured')}</Text>;
  else if (samples.length === 0) body = <Text>{t('noSamples')}</Text>;
  else {
    const data = samples.map((s) => ({ time: time.format(new Date(s.at)), ms: s.ms, revision: s.revision }));
    const listed = samples.slice(-LISTED_SAMPLES).reverse();
    body = (
      <Stack gap="xs">
        <Text id={summaryId} data-testid="propagation-summary">
          {t('propagationSummary', {
            p50: p50Ms === null ? '—' : formatNumber(p50Ms),
            p99: p99Ms === null ? '—' : formatNumber(p99Ms),
            count: samples.length,
          })}
        </Text>
        <div
          role="img"
          aria-label={t('chartLabel', { count: samples.length })}
          aria-describedby={summaryId}
          data-testid="propagation-chart"
        >
          <LineChart
            h={220}
            data={data}
            dataKey="time"
            series={[{ name: 'ms', label: t('ms'), color: 'indigo.8' }]}
            curveType="linear"
            unit=" ms"
            dotProps={{ r: 2 }}
            lineProps={{ isAnimationActive: false }}
            lineChartProps={{ accessibilityLayer: false }}
            withTooltip={false}
          />
        </div>
        <VisuallyHidden>
          <Table>
            <Table.Caption>{t('samplesTable', { count: listed.length })}</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('sampleAt')}</Table.Th>
                <Table.Th scope="col">{t('sampleRevision')}</Table.Th>
                <Table.Th scope="col">{t('sampleMs')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {listed.map((s) => (
                <Table.Tr key={`${s.revision} ${s.at}`}>
                  <Table.Td>{formatDateTime(s.at, true)}</Table.Td>
                  <Table.Td>{s.revision}</Table.Td>
                  <Table.Td>{s.ms}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </VisuallyHidden>
      </Stack>
    );
  }
  return (
    <Stack gap="xs" component="section" aria-labelledby="dashboard-propagation">
      <Title order={3} size="h4" id="dashboard-propagation">
        {t('propagation')}
      </Title>
      {body}
    </Stack>
  );
}
