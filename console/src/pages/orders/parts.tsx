import { Alert, Anchor, Button, Group, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiError, newIdempotencyKey } from '../../api/client';
import { useAccess } from '../../api/session';
import { ErrorAlert } from '../../ui/feedback';
import { ORDER_STATUS_COLOURS, StatusBadge as SharedStatusBadge } from '../../ui/StatusBadge';
import {
  fulfilmentLocations,
  nextSteps,
  postFulfilmentEvent,
  type Fulfilment,
  type FulfilmentStatus,
} from './api';

/** The query keys of this page all start with this: a move or cancellation refreshes them all. */
export const ORDERS_KEY = 'orders';

/** An order's or fulfilment's status in words (its code when the page has no words for it). */
export function StatusBadge({ status }: { status: string }) {
  const { t } = useTranslation('orders');
  return (
    <SharedStatusBadge
      code={status}
      label={t(`status.${status}`, { defaultValue: status })}
      colours={ORDER_STATUS_COLOURS}
    />
  );
}

/**
 * A link to one order's page: the first 8 characters of its id (monospace), the full id in its name and
 * tooltip — short enough for a tablet's table.
 */
export function OrderLink({ id }: { id: string }) {
  const { t } = useTranslation('orders');
  const name = t('detail.title', { order: id });
  return (
    <Anchor component={Link} to={`/orders/${id}`} ff="monospace" size="sm" title={name} aria-label={name}>
      {shortOrderId(id)}
    </Anchor>
  );
}

/** An order id as tables show it: its first 8 characters. */
export const shortOrderId = (id: string): string => id.slice(0, 8);

/** A fulfilment's lines as `SKU × n`, one a line. */
export function Items({ lines }: { lines: Array<{ sku: string; quantity: number }> }) {
  return (
    <>
      {lines.map((l) => (
        <Text key={l.sku} size="sm" ff="monospace">
          {l.sku} × {l.quantity}
        </Text>
      ))}
    </>
  );
}

/** What a move or cancellation answered, for {@link ActionFeedback}. */
export interface ActionOutcome {
  notice: string | null;
  error: unknown;
}

/**
 * Moving fulfilments from this page: `move(f, status, orderId)` posts the event with a fresh Idempotency-Key,
 * then refreshes every orders query; `outcome` holds the announcement or the refusal (a 409 in words).
 */
export function useFulfilmentMove() {
  const { t } = useTranslation('orders');
  const client = useQueryClient();
  const [outcome, setOutcome] = useState<ActionOutcome>({ notice: null, error: null });
  const mutation = useMutation({
    mutationFn: (v: { fulfilment: Fulfilment; status: FulfilmentStatus; orderId: string }) =>
      postFulfilmentEvent(v.fulfilment.id, v.status, newIdempotencyKey()),
    onMutate: () => setOutcome({ notice: null, error: null }),
    onSuccess: (_order, v) =>
      setOutcome({ notice: t(`moved.${v.status}`, { order: v.orderId }), error: null }),
    onError: (error) => setOutcome({ notice: null, error }),
    onSettled: () => client.invalidateQueries({ queryKey: [ORDERS_KEY] }),
  });
  return {
    move: (fulfilment: Fulfilment, status: FulfilmentStatus, orderId: string) =>
      mutation.mutate({ fulfilment, status, orderId }),
    pending: mutation.isPending ? mutation.variables : undefined,
    outcome,
    setOutcome,
  };
}

/** The announcement of the last action (role=status) or its refusal; a 409 says in words what happened. */
export function ActionFeedback({ outcome }: { outcome: ActionOutcome }) {
  const { t } = useTranslation('orders');
  const conflict = outcome.error instanceof ApiError && outcome.error.status === 409;
  return (
    <>
      <div role="status" aria-live="polite">
        {outcome.notice ? (
          <Alert color="green" variant="light" mb="sm">
            <Text size="sm">{outcome.notice}</Text>
          </Alert>
        ) : null}
      </div>
      {outcome.error ? (
        <div>
          {conflict ? (
            <Text fw={600} mb={4}>
              {t('conflict')}
            </Text>
          ) : null}
          <ErrorAlert error={outcome.error} />
        </div>
      ) : null}
    </>
  );
}

/**
 * The steps the signed-in key may report on fulfilment `f` of order `orderId`: none without `orders:write` or
 * when the fulfilment is at none of the key's locations.
 */
export function MoveButtons({
  fulfilment,
  orderId,
  move,
  busy,
  steps,
}: {
  fulfilment: Fulfilment;
  orderId: string;
  move: ReturnType<typeof useFulfilmentMove>;
  busy: boolean;
  steps?: FulfilmentStatus[];
}) {
  const { t } = useTranslation('orders');
  const access = useAccess();
  if (!access.can('orders', true) || !fulfilmentLocations(fulfilment).some((l) => access.atLocation(l)))
    return null;
  const offered = (steps ?? nextSteps(fulfilment)).filter((s) => nextSteps(fulfilment).includes(s));
  if (offered.length === 0) return null;
  return (
    <Group gap="xs" wrap="wrap">
      {offered.map((status) => (
        <Button
          key={status}
          size="xs"
          variant={status === 'COLLECTED' || status === 'READY_FOR_PICKUP' ? 'filled' : 'default'}
          loading={busy && move.pending?.fulfilment.id === fulfilment.id && move.pending.status === status}
          disabled={busy}
          aria-label={t('action.named', { action: t(`action.${status}`), order: orderId })}
          onClick={() => move.move(fulfilment, status, orderId)}
        >
          {t(`action.${status}`)}
        </Button>
      ))}
    </Group>
  );
}
