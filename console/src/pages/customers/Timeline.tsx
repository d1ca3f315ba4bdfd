import { Anchor, Badge, Button, Card, Group, MultiSelect, Stack, Text } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ErrorAlert, Loading } from '../../ui/feedback';
import { formatDateTime } from '../../ui/format';
import { channelLabel } from '../../ui/labels';
import { UndoMergeButton } from './Actions';
import { INTERACTION_KINDS, timelinePage, undoableMerges, type InteractionKind } from './api';
import { useCustomer } from './context';

/** Her timeline, newest first, 20 at a time ("show more"), filtered by kinds. */
export function Timeline() {
  const { t } = useTranslation('customers');
  const { t: common } = useTranslation();
  const { profile, canWrite, merges } = useCustomer();
  const [kinds, setKinds] = useState<InteractionKind[]>([]);
  const pages = useInfiniteQuery({
    queryKey: ['customer', profile.id, 'timeline', kinds],
    queryFn: ({ pageParam }) => timelinePage(profile.id, pageParam, kinds),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next,
  });
  const items = pages.data?.pages.flatMap((p) => p.items) ?? [];
  const undoable = new Set(
    undoableMerges(items, new Date())
      .map((m) => m.mergeId)
      .filter((id) => !merges.undone.includes(id)),
  );

  return (
    <Stack>
      <MultiSelect
        label={t('timeline.filter')}
        placeholder={kinds.length === 0 ? t('timeline.allKinds') : undefined}
        data={INTERACTION_KINDS.map((k) => ({ value: k, label: t(`kind.${k}`) }))}
        value={kinds}
        onChange={(v) => setKinds(v as InteractionKind[])}
        clearable
        searchable
        maw={560}
      />
      {pages.isPending ? (
        <Loading />
      ) : pages.isError ? (
        <ErrorAlert error={pages.error} />
      ) : items.length === 0 ? (
        <Text>{t('timeline.empty')}</Text>
      ) : (
        <Stack
          gap="xs"
          component="ol"
          aria-label={t('timeline.title')}
          style={{ listStyle: 'none', padding: 0, margin: 0 }}
        >
          {items.map((i) => {
            const merge = /\(merge (\S+)\)/.exec(i.summary)?.[1];
            return (
              <Card key={i.id} withBorder padding="sm" component="li">
                <Group justify="space-between" wrap="wrap" gap="xs">
                  <Group gap="xs" wrap="wrap">
                    <Badge variant="light" c="dark">
                      {t(`kind.${i.kind}`)}
                    </Badge>
                    <Text fw={600}>{i.summary}</Text>
                  </Group>
                  <Text size="sm" c="dimmed">
                    {formatDateTime(i.at)}
                  </Text>
                </Group>
                <Text size="sm" c="dimmed">
                  {[
                    t('timeline.channel', { channel: channelLabel(t, i.channel) }),
                    i.location ? t('timeline.location', { location: i.location.name }) : null,
                    i.sku ? t('timeline.sku', { sku: i.sku }) : null,
                  ]
                    .filter(Boolean)
                    .join(' · ')}
                </Text>
                {i.note ? (
                  <Text size="sm" mt={4}>
                    {t('timeline.note', { note: i.note })}
                  </Text>
                ) : null}
                {i.orderId || (merge && canWrite && undoable.has(merge)) ? (
                  <Group gap="sm" mt={6}>
                    {i.orderId ? (
                      <Anchor component={Link} to={`/orders/${i.orderId}`} size="sm">
                        {t('timeline.order')}
                      </Anchor>
                    ) : null}
                    {merge && canWrite && undoable.has(merge) ? <UndoMergeButton mergeId={merge} /> : null}
                  </Group>
                ) : null}
              </Card>
            );
          })}
        </Stack>
      )}
      {pages.hasNextPage ? (
        <Button
          variant="default"
          onClick={() => void pages.fetchNextPage()}
          loading={pages.isFetchingNextPage}
          w="fit-content"
        >
          {common('more')}
        </Button>
      ) : null}
    </Stack>
  );
}
