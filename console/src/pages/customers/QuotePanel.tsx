import {
  Alert,
  Button,
  Card,
  Group,
  NumberInput,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/client';
import { DataTable } from '../../ui/DataTable';
import { ErrorAlert } from '../../ui/feedback';
import { formatMoney } from '../../ui/format';
import { quoteFor, type CartLine } from './api';
import { tierName } from '../../ui/loyalty';
import { useCustomer } from './context';

/** The field errors of a refused quote, by `lines.<n>.sku` etc. (`input.` cut off). */
function quoteFieldErrors(e: unknown): Record<string, string> {
  return e instanceof ApiError ? e.fieldErrors('input.') : {};
}

/**
 * A cart priced as she would see it (GraphQL `quote` with her id): lines of SKU and quantity, coupon codes.
 * Changes nothing.
 */
export function QuotePanel() {
  const { t } = useTranslation('customers');
  const { profile, tiers } = useCustomer();
  const [lines, setLines] = useState<Array<{ sku: string; quantity: number | '' }>>([
    { sku: '', quantity: 1 },
  ]);
  const [coupons, setCoupons] = useState('');
  const quote = useMutation({
    mutationFn: () => {
      const cart: CartLine[] = lines
        .filter((l) => l.sku.trim() !== '')
        .map((l) => ({ sku: l.sku.trim(), quantity: l.quantity === '' ? 0 : l.quantity }));
      const codes = coupons
        .split(',')
        .map((c) => c.trim())
        .filter((c) => c !== '');
      return quoteFor(profile.id, cart, codes);
    },
  });
  const errors = quoteFieldErrors(quote.error);
  const setLine = (i: number, patch: Partial<(typeof lines)[number]>) =>
    setLines((ls) => ls.map((l, j) => (j === i ? { ...l, ...patch } : l)));
  const lineError = (i: number, field: string) => errors[`lines.${i}.${field}`];
  const shownErrors = Object.keys(errors).filter((k) => /^lines\.\d+\.(sku|quantity)$/.test(k));
  const otherError =
    quote.error && (shownErrors.length === 0 || shownErrors.length < Object.keys(errors).length);

  return (
    <Stack>
      <Text>{t('quote.intro', { name: profile.displayName ?? t('noName') })}</Text>
      <form
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          quote.mutate();
        }}
        aria-label={t('quote.title')}
      >
        <Stack>
          {lines.map((l, i) => (
            <Group key={i} align="flex-start" wrap="wrap">
              <TextInput
                label={t('quote.sku', { n: i + 1 })}
                value={l.sku}
                onChange={(e) => setLine(i, { sku: e.currentTarget.value })}
                error={lineError(i, 'sku')}
                style={{ flex: '1 1 14rem' }}
              />
              <NumberInput
                label={t('quote.quantity', { n: i + 1 })}
                value={l.quantity}
                onChange={(v) => setLine(i, { quantity: typeof v === 'number' ? v : '' })}
                error={lineError(i, 'quantity')}
                min={1}
                allowDecimal={false}
                w={140}
              />
              {lines.length > 1 ? (
                <Button
                  variant="default"
                  mt={24}
                  onClick={() => setLines((ls) => ls.filter((_, j) => j !== i))}
                >
                  {t('quote.removeLine', { n: i + 1 })}
                </Button>
              ) : null}
            </Group>
          ))}
          <Button
            variant="default"
            w="fit-content"
            onClick={() => setLines((ls) => [...ls, { sku: '', quantity: 1 }])}
          >
            {t('quote.addLine')}
          </Button>
          <TextInput
            label={t('quote.coupons')}
            description={t('quote.couponsHint')}
            value={coupons}
            onChange={(e) => setCoupons(e.currentTarget.value)}
            error={errors.couponCodes}
            maw={480}
          />
          <Button type="submit" loading={quote.isPending} w="fit-content">
            {t('quote.submit')}
          </Button>
        </Stack>
      </form>
      {otherError ? <ErrorAlert error={quote.error} /> : null}
      {quote.data ? (
        <Card withBorder component="section" aria-label={t('quote.result')} role="status">
          <DataTable
            caption={t('quote.lines')}
            hiddenCaption
            minWidth={560}
            tableProps={{ striped: false, withTableBorder: false }}
            head={[
              t('quote.skuHeader'),
              t('quote.quantityHeader'),
              { label: t('quote.base'), align: 'right' },
              { label: t('quote.final'), align: 'right' },
              t('quote.adjustments'),
            ]}
          >
            {quote.data.lines.map((l, i) => (
              <Table.Tr key={`${l.sku}:${i}`}>
                <Table.Td>{l.sku}</Table.Td>
                <Table.Td>{l.quantity}</Table.Td>
                <Table.Td style={{ textAlign: 'right' }}>{formatMoney(l.base)}</Table.Td>
                <Table.Td style={{ textAlign: 'right' }}>{formatMoney(l.final)}</Table.Td>
                <Table.Td>
                  {l.adjustments.length === 0
                    ? '—'
                    : l.adjustments.map((a) => (
                        <Text size="sm" key={a.id}>
                          {a.label}: {formatMoney(a.amount)} — {a.reason}
                        </Text>
                      ))}
                </Table.Td>
              </Table.Tr>
            ))}
          </DataTable>
          <SimpleGrid cols={{ base: 2, sm: 4 }} mt="md">
            <div>
              <Text size="sm" c="dimmed">
                {t('quote.subtotal')}
              </Text>
              <Text fw={600}>{formatMoney(quote.data.subtotal)}</Text>
            </div>
            <div>
              <Text size="sm" c="dimmed">
                {t('quote.discount')}
              </Text>
              <Text fw={600}>{formatMoney(quote.data.discountTotal)}</Text>
            </div>
            <div>
              <Text size="sm" c="dimmed">
                {t('quote.total')}
              </Text>
              <Text fw={700} data-testid="quote-total">
                {formatMoney(quote.data.total)}
              </Text>
            </div>
            <div>
              <Text size="sm" c="dimmed">
                {t('quote.vat')}
              </Text>
              <Text fw={600}>{formatMoney(quote.data.vatTotal)}</Text>
            </div>
          </SimpleGrid>
          {quote.data.loyalty ? (
            <Text mt="sm">
              {t('quote.points', {
                points: quote.data.loyalty.pointsEarned,
                tier: tierName(tiers, quote.data.loyalty.tierAfter),
              })}
            </Text>
          ) : null}
          {quote.data.rejectedCoupons.map((c) => (
            <Alert key={c.code} color="yellow" mt="sm" title={t('quote.rejected', { code: c.code })}>
              {c.reason}
            </Alert>
          ))}
        </Card>
      ) : null}
    </Stack>
  );
}
