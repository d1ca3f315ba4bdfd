import { Anchor, Button, Group, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { newIdempotencyKey } from '../../api/client';
import { useAccess } from '../../api/session';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { DataTable } from '../../ui/DataTable';
import { ErrorAlert, Loading, PageHeader } from '../../ui/feedback';
import { formatDateTime, formatMoney, formatNumber } from '../../ui/format';
import { channelLabel } from '../../ui/labels';
import { retryUnlessRefused } from '../../ui/query';
import { cancelOrder, fetchOrder, type OrderDetail } from './api';
import {
  ActionFeedback,
  Items,
  MoveButtons,
  ORDERS_KEY,
  StatusBadge,
  useFulfilmentMove,
  type ActionOutcome,
} from './parts';

/** Fulfilment statuses a cancellation can still stop (the goods have not left the building). */
const CANCELLABLE = new Set(['PENDING', 'PICKING', 'PACKED', 'READY_FOR_PICKUP']);

/**
 * One order (`/console/orders/<id>`): its summary, lines, fulfilments with the steps the key may report,
 * what checkout promised, its full history, and — with `orders:write` — a cancellation behind a confirmation.
 */
export function OrderDetailView() {
  const { t } = useTranslation('orders');
  const { id = '' } = useParams();
  const access = useAccess();
  const move = useFulfilmentMove();
  const order = useQuery({
    retry: retryUnlessRefused,
    queryKey: [ORDERS_KEY, 'order', id],
    queryFn: () => fetchOrder(id),
  });

  const back = (
    <Anchor component={Link} to="/orders">
      {t('back')}
    </Anchor>
  );
  if (order.isPending) return <Loading />;
  if (order.isError)
    return (
      <Stack>
        <PageHeader title={t('detail.title', { order: id })} />
        <ErrorAlert error={order.error} />
        {back}
      </Stack>
    );
  const o = order.data;
  const cancellable = access.can('orders', true) && o.fulfilments.some((f) => CANCELLABLE.has(f.status));
  const busy = move.pending !== undefined;

  return (
    <Stack gap="lg">
      {back}
      <PageHeader title={t('detail.title', { order: o.id })} />
      <Group gap="sm">
        <StatusBadge status={o.status} />
        {cancellable ? <CancelOrder order={o} onDone={move.setOutcome} /> : null}
      </Group>
      <ActionFeedback outcome={move.outcome} />

      <section aria-labelledby="order-summary">
        <Title order={2} size="h3" id="order-summary" mb="xs">
          {t('detail.summary')}
        </Title>
        <SimpleGrid cols={{ base: 2, sm: 3 }} component="dl" spacing="xs">
          <Fact label={t('detail.kind')} value={t(`kind.${o.kind}`)} />
          <Fact label={t('detail.placed')} value={formatDateTime(o.placedAt)} />
          <Fact label={t('detail.channel')} value={channelLabel(t, o.channel)} />
          <Fact label={t('detail.customer')} value={o.customerRef ?? t('detail.anonymous')} />
          <Fact
            label={t('detail.total')}
            value={formatMoney({ amount: o.totalAmount, currency: o.currency })}
          />
          <Fact label={t('detail.revision')} value={String(o.revision)} />
        </SimpleGrid>
      </section>

      <section aria-labelledby="order-lines">
        <Title order={2} size="h3" id="order-lines" mb="xs">
          {t('detail.lines')}
        </Title>
        <DataTable
          caption={t('detail.linesCaption')}
          head={[
            t('col.sku'),
            t('col.location'),
            t('col.quantity'),
            t('col.unitPrice'),
            t('col.lineTotal'),
            t('col.returned'),
          ]}
        >
          {o.lines.map((l, i) => (
            <Table.Tr key={i}>
              <Table.Td ff="monospace">{l.sku}</Table.Td>
              <Table.Td>{l.locationId}</Table.Td>
              <Table.Td>{formatNumber(l.quantity)}</Table.Td>
              <Table.Td>{formatMoney({ amount: l.unitAmount, currency: o.currency })}</Table.Td>
              <Table.Td>{formatMoney({ amount: l.lineAmount, currency: o.currency })}</Table.Td>
              <Table.Td>{formatNumber(l.returnedQuantity)}</Table.Td>
            </Table.Tr>
          ))}
        </DataTable>
      </section>

      <section aria-labelledby="order-fulfilments">
        <Title order={2} size="h3" id="order-fulfilments" mb="xs">
          {t('detail.fulfilments')}
        </Title>
        <DataTable
          caption={t('detail.fulfilmentsCaption')}
          head={[
            t('col.method'),
            t('col.from'),
            t('col.pickupAt'),
            t('col.items'),
            t('col.status'),
            t('col.promise'),
            t('col.tracking'),
            t('col.actions'),
          ]}
        >
          {o.fulfilments.map((f) => (
            <Table.Tr key={f.id} data-fulfilment={f.id}>
              <Table.Td>{t(`method.${f.method}`)}</Table.Td>
              <Table.Td>{f.locationId}</Table.Td>
              <Table.Td>{f.pickupLocationId ?? '—'}</Table.Td>
              <Table.Td>
                <Items lines={f.lines} />
              </Table.Td>
              <Table.Td>
                <StatusBadge status={f.status} />
              </Table.Td>
              <Table.Td>
                {f.method === 'PICKUP'
                  ? `${t('col.readyBy')}: ${formatDateTime(f.readyBy)}` +
                    (f.holdUntil ? ` · ${t('col.holdUntil')}: ${formatDateTime(f.holdUntil)}` : '')
                  : `${t('col.deliverBy')}: ${formatDateTime(f.deliverBy)}`}
              </Table.Td>
              <Table.Td>{f.trackingCode ?? '—'}</Table.Td>
              <Table.Td>
                <MoveButtons fulfilment={f} orderId={o.id} move={move} busy={busy} />
              </Table.Td>
            </Table.Tr>
          ))}
        </DataTable>
      </section>

      <section aria-labelledby="order-promised">
        <Title order={2} size="h3" id="order-promised" mb="xs">
          {t('detail.promised')}
        </Title>
        {o.promised.length === 0 ? (
          <Text>{t('detail.noPromise')}</Text>
        ) : (
          <DataTable
            caption={t('detail.promisedCaption')}
            head={[t('col.method'), t('col.from'), t('col.orderBefore'), t('col.promise'), t('col.reason')]}
          >
            {o.promised.map((p, i) => (
              <Table.Tr key={i}>
                <Table.Td>{t(`method.${p.method}`)}</Table.Td>
                <Table.Td>{`${p.from.name} (${p.from.id})`}</Table.Td>
                <Table.Td>{formatDateTime(p.orderBefore)}</Table.Td>
                <Table.Td>
                  {p.method === 'PICKUP'
                    ? `${t('col.readyBy')}: ${formatDateTime(p.readyBy)}`
                    : `${t('col.deliverBy')}: ${formatDateTime(p.deliverBy)}`}
                </Table.Td>
                <Table.Td>{p.reason}</Table.Td>
              </Table.Tr>
            ))}
          </DataTable>
        )}
      </section>

      <section aria-labelledby="order-history">
        <Title order={2} size="h3" id="order-history" mb="xs">
          {t('detail.history')}
        </Title>
        <DataTable
          caption={t('detail.historyCaption')}
          head={[t('col.at'), t('col.status'), t('col.actor'), t('col.channel'), t('col.reason')]}
        >
          {o.history.map((e, i) => (
            <Table.Tr key={i}>
              <Table.Td>{formatDateTime(e.at, true)}</Table.Td>
              <Table.Td>
                <StatusBadge status={e.status} />
              </Table.Td>
              <Table.Td ff="monospace">{e.actor}</Table.Td>
              <Table.Td>{channelLabel(t, e.channel)}</Table.Td>
              <Table.Td>{e.reason ?? '—'}</Table.Td>
            </Table.Tr>
          ))}
        </DataTable>
      </section>
    </Stack>
  );
}

/** One labelled fact of the summary (a definition list's term and description). */
function Fact({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <Text component="dt" size="sm" fw={600}>
        {label}
      </Text>
      <Text component="dd" m={0}>
        {value}
      </Text>
    </div>
  );
}

/**
 * The cancel button and its confirmation: a reason (required, shown in the history), then
 * `POST /orders/{id}/cancel` with one Idempotency-Key per confirmation dialog (a retried click stays one
 * act).
 */
function CancelOrder({ order, onDone }: { order: OrderDetail; onDone(outcome: ActionOutcome): void }) {
  const { t } = useTranslation('orders');
  const client = useQueryClient();
  const [opened, setOpened] = useState(false);
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState(false);
  const [key, setKey] = useState(newIdempotencyKey);
  const cancel = useMutation({
    mutationFn: () => cancelOrder(order.id, reason.trim(), key),
    onSuccess: () => {
      setOpened(false);
      onDone({ notice: t('moved.cancelled', { order: order.id }), error: null });
    },
    onError: (error) => {
      setOpened(false);
      onDone({ notice: null, error });
    },
    onSettled: () => client.invalidateQueries({ queryKey: [ORDERS_KEY] }),
  });
  const open = () => {
    setReason('');
    setMissing(false);
    setKey(newIdempotencyKey());
    cancel.reset();
    setOpened(true);
  };
  const submit = () => {
    if (!reason.trim()) {
      setMissing(true);
      return;
    }
    cancel.mutate();
  };
  return (
    <>
      <Button color="red" variant="outline" size="sm" onClick={open}>
        {t('cancel.open')}
      </Button>
      <ConfirmDialog
        opened={opened}
        onClose={() => setOpened(false)}
        title={t('cancel.title', { order: order.id })}
        closeLabel={t('cancel.close')}
        keepLabel={t('cancel.keep')}
        confirmLabel={t('cancel.confirm')}
        onConfirm={submit}
        busy={cancel.isPending}
        danger
      >
        <Text>{t('cancel.body')}</Text>
        <TextInput
          label={t('cancel.reason')}
          description={t('cancel.reasonHint')}
          value={reason}
          maxLength={500}
          onChange={(e) => {
            setReason(e.currentTarget.value);
            setMissing(false);
          }}
          error={missing ? t('cancel.reasonRequired') : undefined}
          withAsterisk
          data-autofocus
        />
      </ConfirmDialog>
    </>
  );
}
