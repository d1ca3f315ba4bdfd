import { Badge } from '@mantine/core';

/**
 * The colours of order and fulfilment statuses (orders page, a customer's orders): the darkest shades, so an
 * outline badge's text keeps AA contrast on white.
 */
export const ORDER_STATUS_COLOURS: Readonly<Record<string, string>> = {
  OPEN: 'blue.9',
  PARTIALLY_FULFILLED: 'grape.9',
  FULFILLED: 'teal.9',
  CANCELLED: 'red.9',
  PENDING: 'gray.8',
  PICKING: 'blue.9',
  PACKED: 'indigo.9',
  SHIPPED: 'indigo.9',
  DELIVERED: 'teal.9',
  READY_FOR_PICKUP: 'cyan.9',
  COLLECTED: 'teal.9',
  UNCOLLECTED: 'red.9',
};

/**
 * A status as an outline badge: `label` in words (`code` kept in `data-status` for tests and styling), in
 * `color` (a dark Mantine shade; `colours[code]` when given a map) — never wrapped nor cut short, however
 * narrow its table cell.
 */
export function StatusBadge({
  code,
  label,
  color,
  colours,
}: {
  code: string;
  label: string;
  color?: string;
  colours?: Readonly<Record<string, string>>;
}) {
  return (
    <Badge
      color={color ?? colours?.[code] ?? 'gray.8'}
      variant="outline"
      data-status={code}
      styles={{
        root: { flexShrink: 0, minWidth: 'max-content', overflow: 'visible' },
        label: { overflow: 'visible' },
      }}
    >
      {label}
    </Badge>
  );
}
