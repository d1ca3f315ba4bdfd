import { Badge, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { DataTable } from '../../ui/DataTable';
import { ErrorAlert } from '../../ui/feedback';
import { formatDateTime } from '../../ui/format';
import { channelLabel, purposeLabel } from '../../ui/labels';
import { ConsentButton, PreferencesButton, UndoMergeButton, UnlinkButton } from './Actions';
import { CONSENT_PURPOSES, CONTACT_CHANNELS, timelinePage, undoableMerges } from './api';
import { useCustomer } from './context';

/** One titled block of the overview. */
function Section({ title, action, children }: { title: string; action?: ReactNode; children: ReactNode }) {
  return (
    <Card withBorder component="section" aria-label={title}>
      <Group justify="space-between" mb="xs" wrap="wrap">
        <Title order={2} size="h4">
          {title}
        </Title>
        {action}
      </Group>
      {children}
    </Card>
  );
}

/** An attribute's JSON text in words: `"[\"vip\"]"` → `vip`. */
function attributeValue(raw: string): string {
  try {
    const v: unknown = JSON.parse(raw);
    if (Array.isArray(v)) return v.map(String).join(', ');
    return typeof v === 'string' ? v : JSON.stringify(v);
  } catch {
    return raw;
  }
}

/** The merges into her profile that can still be undone (from her timeline's profile changes). */
function Merges() {
  const { t } = useTranslation('customers');
  const { profile, canWrite, merges: seen } = useCustomer();
  const changes = useQuery({
    queryKey: ['customer', profile.id, 'merges'],
    queryFn: () => timelinePage(profile.id, null, ['PROFILE_CHANGED'], 200),
    // A merge done here reaches her timeline a moment later: ask again until it does.
    refetchInterval: (q) =>
      seen.merged !== null &&
      !undoableMerges(q.state.data?.items ?? [], new Date()).some((m) => m.mergeId === seen.merged)
        ? 1000
        : false,
  });
  if (changes.isPending) return null;
  if (changes.isError) return <ErrorAlert error={changes.error} />;
  const merges = undoableMerges(changes.data.items, new Date()).filter(
    (m) => !seen.undone.includes(m.mergeId),
  );
  return (
    <Section title={t('merges.title')}>
      {merges.length === 0 ? (
        <Text>{t('merges.none')}</Text>
      ) : (
        <Stack gap="xs">
          {merges.map((m) => (
            <Group key={m.mergeId} justify="space-between" wrap="wrap">
              <Text>{t('merges.item', { mergeId: m.mergeId, at: formatDateTime(m.at) })}</Text>
              {canWrite ? <UndoMergeButton mergeId={m.mergeId} /> : null}
            </Group>
          ))}
        </Stack>
      )}
    </Section>
  );
}

/** Her identifiers, profile facts, consents, contact preferences, segments and merges. */
export function Overview() {
  const { t } = useTranslation('customers');
  const { profile: p, canWrite } = useCustomer();
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }}>
      <Section title={t('identifiers.title')}>
        {p.identifiers.length === 0 ? (
          <Text>{t('identifiers.none')}</Text>
        ) : (
          <DataTable
            caption={t('identifiers.title')}
            hiddenCaption
            head={[
              t('identifiers.kind'),
              t('identifiers.value'),
              t('field.channel'),
              ...(canWrite ? [t('field.actions')] : []),
            ]}
          >
            {p.identifiers.map((i) => (
              <Table.Tr key={`${i.kind}:${i.value}`}>
                <Table.Td>{t(`idKind.${i.kind}`)}</Table.Td>
                <Table.Td style={{ wordBreak: 'break-all' }}>{i.value}</Table.Td>
                <Table.Td>{channelLabel(t, i.channel)}</Table.Td>
                {canWrite ? (
                  <Table.Td>
                    <UnlinkButton kind={i.kind} value={i.value} />
                  </Table.Td>
                ) : null}
              </Table.Tr>
            ))}
          </DataTable>
        )}
      </Section>

      <Section title={t('attributes.title')}>
        {p.attributes.length === 0 ? (
          <Text>{t('attributes.none')}</Text>
        ) : (
          <Table aria-label={t('attributes.title')}>
            <Table.Tbody>
              {p.attributes.map((a) => (
                <Table.Tr key={a.name}>
                  <Table.Th scope="row">{t(`attr.${a.name}`, { defaultValue: a.name })}</Table.Th>
                  <Table.Td>{attributeValue(a.value)}</Table.Td>
                  <Table.Td>
                    <Text size="sm" c="dimmed">
                      {a.changedAt ? formatDateTime(a.changedAt) : ''}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Section>

      <Section title={t('consents.title')}>
        <Stack gap="sm">
          {CONSENT_PURPOSES.map((purpose) => {
            const c = p.consents.find((x) => x.purpose === purpose);
            const granted = c?.granted ?? false;
            return (
              <Stack key={purpose} gap={2}>
                <Group justify="space-between" wrap="wrap">
                  <Group gap="xs">
                    <Text fw={600}>{purposeLabel(t, purpose)}</Text>
                    <Badge color={granted ? 'green' : 'gray'} c="dark" variant="light">
                      {granted ? t('consents.granted') : t('consents.notGranted')}
                    </Badge>
                  </Group>
                  {canWrite ? <ConsentButton purpose={purpose} granted={granted} /> : null}
                </Group>
                {c ? (
                  <Text size="sm" c="dimmed">
                    {t('consents.detail', {
                      at: formatDateTime(c.changedAt),
                      channel: channelLabel(t, c.channel),
                      source: c.source ?? t('consents.noSource'),
                    })}
                    {c.expiresAt ? ` ${t('consents.expires', { at: formatDateTime(c.expiresAt) })}` : ''}
                  </Text>
                ) : null}
              </Stack>
            );
          })}
        </Stack>
      </Section>

      <Section title={t('prefs.title')} action={canWrite ? <PreferencesButton /> : undefined}>
        <Table aria-label={t('prefs.title')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('field.channel')}</Table.Th>
              <Table.Th>{t('prefs.topics')}</Table.Th>
              <Table.Th>{t('prefs.perWeek')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {CONTACT_CHANNELS.map((c) => {
              const pref = p.preferences.channels.find((x) => x.channel === c);
              return (
                <Table.Tr key={c}>
                  <Table.Td>{t(`contact.${c}`)}</Table.Td>
                  <Table.Td>
                    {pref && pref.topics.length > 0
                      ? pref.topics.map((topic) => t(`topic.${topic}`)).join(', ')
                      : t('prefs.noTopics')}
                  </Table.Td>
                  <Table.Td>{pref?.maxPerWeek ?? '—'}</Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
        {p.preferences.updatedAt ? (
          <Text size="sm" c="dimmed" mt="xs">
            {t('prefs.updatedAt', { at: formatDateTime(p.preferences.updatedAt) })}
          </Text>
        ) : null}
      </Section>

      <Section title={t('segments.title')}>
        {p.segments.length === 0 ? (
          <Text>{t('segments.none')}</Text>
        ) : (
          <Stack gap="xs">
            {p.segments.map((s) => (
              <div key={s.segment}>
                <Text fw={600}>{s.name}</Text>
                <Text size="sm">{t('segments.reason', { reason: s.reason })}</Text>
                <Text size="sm" c="dimmed">
                  {t('segments.since', {
                    since: formatDateTime(s.since),
                    computed: formatDateTime(s.computedAt),
                  })}
                </Text>
              </div>
            ))}
          </Stack>
        )}
      </Section>

      <Merges />
    </SimpleGrid>
  );
}
