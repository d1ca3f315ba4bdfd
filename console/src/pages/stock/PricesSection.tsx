import {
  Alert,
  Badge,
  Button,
  Group,
  List,
  NativeSelect,
  NumberInput,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiError } from '../../api/client';
import { useAccess } from '../../api/session';
import { ErrorAlert, Loading } from '../../ui/feedback';
import { formatDateTime, formatMoney } from '../../ui/format';
import { fetchLocations } from '../mirror/mirror-api';
import { ScrollTable } from '../mirror/ScrollTable';
import { rememberChange } from '../mirror/propagation';
import {
  fetchPriceHistory,
  fetchPriceLists,
  localToIso,
  previewAt,
  putPrice,
  type PriceListSummary,
  type PriceRow,
} from './stock-api';
import { moneyInputText, parseMoneyInput } from '../../ui/money-input';

/** Whether a price (or its list) is yet to start. */
function scheduled(list: PriceListSummary, row: PriceRow, now: number): boolean {
  return list.status === 'SCHEDULED' || (row.validFrom !== null && Date.parse(row.validFrom) > now);
}

/**
 * A SKU's prices in every price list (tiers and windows, scheduled ones marked), a form to change one
 * where the key may, the SKU's price history and a preview of its price at any instant.
 */
export function PricesSection({ sku }: { sku: string }) {
  const { t } = useTranslation('stock');
  const { can } = useAccess();
  const lists = useQuery({ queryKey: ['price-lists', sku], queryFn: () => fetchPriceLists(sku) });
  const [draft, setDraft] = useState<PriceDraft | null>(null);
  const [saved, setSaved] = useState<{ revision: number; amount: number; currency: string } | null>(null);
  const mayChange = can('prices', true);
  const now = Date.now();
  const rows = (lists.data ?? []).flatMap((l) => l.prices.map((p) => ({ list: l.list, price: p })));

  const edit = (list: PriceListSummary, price?: PriceRow) => {
    setSaved(null);
    setDraft({
      listId: list.id,
      amount: price ? moneyInputText(price.amount, list.currency) : '',
      minQuantity: price?.minQuantity ?? 1,
      validFrom: isoToLocal(price?.validFrom ?? null),
      validTo: isoToLocal(price?.validTo ?? null),
    });
  };

  return (
    <Stack gap="sm" component="section" aria-labelledby="prices-heading">
      <Title order={2} size="h3" id="prices-heading">
        {t('prices.heading')}
      </Title>
      {lists.error ? <ErrorAlert error={lists.error} /> : null}
      {lists.isPending ? <Loading /> : null}
      {lists.data ? (
        rows.length === 0 ? (
          <Text>{t('prices.none')}</Text>
        ) : (
          <ScrollTable minWidth={640} label={t('prices.caption', { sku })}>
            <Table striped>
              <Table.Caption>{t('prices.caption', { sku })}</Table.Caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('prices.list')}</Table.Th>
                  <Table.Th scope="col">{t('prices.priority')}</Table.Th>
                  <Table.Th scope="col">{t('prices.fromQuantity')}</Table.Th>
                  <Table.Th scope="col">{t('prices.amount')}</Table.Th>
                  <Table.Th scope="col">{t('prices.validFrom')}</Table.Th>
                  <Table.Th scope="col">{t('prices.validTo')}</Table.Th>
                  <Table.Th scope="col">{t('prices.state')}</Table.Th>
                  {mayChange ? <Table.Th scope="col">{t('prices.actions')}</Table.Th> : null}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map(({ list, price }) => (
                  <Table.Tr key={`${list.id}:${price.minQuantity}`}>
                    <Table.Th scope="row" fw={400}>
                      {list.name} ({list.id})
                    </Table.Th>
                    <Table.Td>{list.priority}</Table.Td>
                    <Table.Td>{price.minQuantity}</Table.Td>
                    <Table.Td fw={700} data-testid={`price-${list.id}-${price.minQuantity}`}>
                      {formatMoney({ amount: price.amount, currency: list.currency })}
                    </Table.Td>
                    <Table.Td>{formatDateTime(price.validFrom ?? list.validFrom)}</Table.Td>
                    <Table.Td>{formatDateTime(price.validTo ?? list.validTo)}</Table.Td>
                    <Table.Td>
                      {scheduled(list, price, now) ? (
                        <Badge color="indigo.9" variant="outline">
                          {t('prices.scheduled')}
                        </Badge>
                      ) : list.status === 'ENDED' ? (
                        <Badge color="dark" variant="outline">
                          {t('prices.ended')}
                        </Badge>
                      ) : (
                        <Badge color="teal.9" variant="outline">
                          {t('prices.active')}
                        </Badge>
                      )}
                    </Table.Td>
                    {mayChange ? (
                      <Table.Td>
                        <Button
                          size="xs"
                          variant="default"
                          onClick={() => edit(list, price)}
                          aria-label={t('prices.changeIn', { list: list.name, quantity: price.minQuantity })}
                        >
                          {t('prices.change')}
                        </Button>
                      </Table.Td>
                    ) : null}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollTable>
        )
      ) : null}
      {mayChange && lists.data && !draft ? (
        <Group>
          <Button
            variant="default"
            onClick={() => {
              const first = lists.data[0];
              if (first) edit(first.list);
            }}
            disabled={lists.data.length === 0}
          >
            {t('prices.add')}
          </Button>
        </Group>
      ) : null}
      {mayChange && draft && lists.data ? (
        <PriceForm
          sku={sku}
          draft={draft}
          lists={lists.data.map((l) => l.list)}
          onCancel={() => setDraft(null)}
          onSaved={(s) => {
            setDraft(null);
            setSaved(s);
          }}
        />
      ) : null}
      {saved ? (
        <Alert role="status" variant="outline" color="teal.9" title={t('prices.saved')}>
          <Stack gap={4}>
            <Text size="sm">
              {t('prices.savedBody', {
                price: formatMoney({ amount: saved.amount, currency: saved.currency }),
                revision: saved.revision,
              })}
            </Text>
            <Group>
              <Button component={Link} to={`/mirror?sku=${encodeURIComponent(sku)}`} size="xs">
                {t('watchInMirror')}
              </Button>
            </Group>
          </Stack>
        </Alert>
      ) : null}
      <PricePreview sku={sku} />
      <PriceHistory
        sku={sku}
        currencyOf={(id) => lists.data?.find((l) => l.list.id === id)?.list.currency ?? 'EUR'}
      />
    </Stack>
  );
}

/** The price form's fields as typed. */
interface PriceDraft {
  listId: string;
  /** Major units as typed (`129.95`); converted to minor units on save. */
  amount: string;
  minQuantity: number | string;
  /** `datetime-local` values (local time), empty when open. */
  validFrom: string;
  validTo: string;
}

/** An ISO instant → a `datetime-local` value in the browser's time zone (empty for null). */
function isoToLocal(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${day}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function PriceForm({
  sku,
  draft: initial,
  lists,
  onCancel,
  onSaved,
}: {
  sku: string;
  draft: PriceDraft;
  lists: PriceListSummary[];
  onCancel(): void;
  onSaved(s: { revision: number; amount: number; currency: string }): void;
}) {
  const { t } = useTranslation('stock');
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<PriceDraft>(initial);
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const list = lists.find((l) => l.id === draft.listId);
  const currency = list?.currency ?? 'EUR';
  const save = useMutation({
    mutationFn: (amount: number) =>
      putPrice(draft.listId, sku, {
        amount,
        minQuantity: Number(draft.minQuantity),
        validFrom: localToIso(draft.validFrom),
        validTo: localToIso(draft.validTo),
      }),
    onSuccess: (res) => {
      rememberChange('price', sku, res.revision);
      void queryClient.invalidateQueries({ queryKey: ['price-lists', sku] });
      void queryClient.invalidateQueries({ queryKey: ['price-history', sku] });
      onSaved({ revision: res.revision, amount: res.price.amount, currency });
    },
  });
  const serverErrors = save.error instanceof ApiError ? save.error.fieldErrors('body.') : {};
  const errors = { ...serverErrors, ...localErrors };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const amount = parseMoneyInput(draft.amount, currency);
    if (amount === null) {
      setLocalErrors({ amount: t('prices.amountNotNumber') });
      return;
    }
    setLocalErrors({});
    save.mutate(amount);
  };
  return (
    <Paper withBorder p="sm" component="form" onSubmit={submit} aria-label={t('prices.formLabel')} noValidate>
      <Stack gap="sm">
        <Title order={3} size="h5">
          {t('prices.formTitle', { sku })}
        </Title>
        <Group align="flex-start" wrap="wrap">
          <NativeSelect
            label={t('prices.list')}
            value={draft.listId}
            data={lists.map((l) => ({ value: l.id, label: `${l.name} (${l.currency})` }))}
            onChange={(e) => setDraft({ ...draft, listId: e.currentTarget.value })}
            miw={240}
          />
          <TextInput
            label={t('prices.amountIn', { currency })}
            description={t('prices.amountHint')}
            value={draft.amount}
            onChange={(e) => setDraft({ ...draft, amount: e.currentTarget.value })}
            error={errors.amount}
            inputMode="decimal"
            w={180}
          />
          <NumberInput
            label={t('prices.fromQuantity')}
            value={draft.minQuantity}
            onChange={(v) => setDraft({ ...draft, minQuantity: v })}
            allowDecimal={false}
            error={errors.minQuantity}
            w={140}
          />
          <TextInput
            type="datetime-local"
            label={t('prices.validFrom')}
            value={draft.validFrom}
            onChange={(e) => setDraft({ ...draft, validFrom: e.currentTarget.value })}
            error={errors.validFrom}
            w={220}
          />
          <TextInput
            type="datetime-local"
            label={t('prices.validTo')}
            value={draft.validTo}
            onChange={(e) => setDraft({ ...draft, validTo: e.currentTarget.value })}
            error={errors.validTo}
            w={220}
          />
        </Group>
        {save.error && Object.keys(serverErrors).length === 0 ? <ErrorAlert error={save.error} /> : null}
        <Group>
          <Button type="submit" loading={save.isPending}>
            {t('prices.save')}
          </Button>
          <Button variant="default" onClick={onCancel}>
            {t('cancel')}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}

const CHANNELS = ['WEB', 'APP', 'STORE', 'CALL_CENTER'] as const;

/** The SKU's price for one unit through a channel at any instant, as the hub would answer then. */
function PricePreview({ sku }: { sku: string }) {
  const { t } = useTranslation('stock');
  const [channel, setChannel] = useState<string>('WEB');
  const [at, setAt] = useState('');
  const [store, setStore] = useState('');
  const locations = useQuery({ queryKey: ['locations'], queryFn: fetchLocations, staleTime: 60_000 });
  const stores = (locations.data ?? []).filter((l) => l.kind === 'STORE');
  const preview = useMutation({
    mutationFn: () =>
      previewAt(
        sku,
        channel,
        localToIso(at) ?? undefined,
        channel === 'STORE' ? store || undefined : undefined,
      ),
  });
  const fieldErrors = preview.error instanceof ApiError ? preview.error.fieldErrors('body.') : {};
  const line = preview.data?.lines[0];
  return (
    <Paper
      withBorder
      p="sm"
      component="form"
      aria-labelledby="preview-heading"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        preview.mutate();
      }}
    >
      <Stack gap="sm">
        <Title order={3} size="h5" id="preview-heading">
          {t('preview.heading')}
        </Title>
        <Group align="flex-end" wrap="wrap">
          <NativeSelect
            label={t('preview.channel')}
            value={channel}
            data={CHANNELS.map((c) => ({ value: c, label: t(`channel.${c}`) }))}
            onChange={(e) => setChannel(e.currentTarget.value)}
            w={180}
          />
          {channel === 'STORE' ? (
            <NativeSelect
              label={t('preview.store')}
              value={store}
              data={[
                { value: '', label: t('preview.chooseStore') },
                ...stores.map((l) => ({ value: l.id, label: l.name })),
              ]}
              onChange={(e) => setStore(e.currentTarget.value)}
              error={fieldErrors.locationId}
              w={220}
            />
          ) : null}
          <TextInput
            type="datetime-local"
            label={t('preview.at')}
            description={t('preview.atHint')}
            value={at}
            onChange={(e) => setAt(e.currentTarget.value)}
            error={fieldErrors.at}
            w={220}
          />
          <Button type="submit" variant="default" loading={preview.isPending}>
            {t('preview.run')}
          </Button>
        </Group>
        {preview.error && Object.keys(fieldErrors).length === 0 ? <ErrorAlert error={preview.error} /> : null}
        {preview.data && line ? (
          <Stack gap={4} role="status" aria-live="polite">
            <Text size="sm">
              {t('preview.result', {
                at: formatDateTime(preview.data.at),
                channel: t(`channel.${preview.data.channel}`),
                price: formatMoney(line.final),
              })}
            </Text>
            {line.savings.amount > 0 ? (
              <Text size="sm">{t('preview.before', { base: formatMoney(line.base) })}</Text>
            ) : null}
            {line.adjustments.length > 0 ? (
              <List size="sm" aria-label={t('preview.adjustments')}>
                {line.adjustments.map((a) => (
                  <List.Item key={`${a.source}:${a.id}`}>
                    {a.label}: −{formatMoney(a.amount)} — {a.reason}
                  </List.Item>
                ))}
              </List>
            ) : null}
          </Stack>
        ) : null}
      </Stack>
    </Paper>
  );
}

/** Every price change of the SKU, newest first. */
function PriceHistory({ sku, currencyOf }: { sku: string; currencyOf(listId: string): string }) {
  const { t } = useTranslation('stock');
  const history = useQuery({ queryKey: ['price-history', sku], queryFn: () => fetchPriceHistory(sku) });
  return (
    <Stack gap="xs">
      <Title order={3} size="h5">
        {t('history.heading')}
      </Title>
      {history.error ? <ErrorAlert error={history.error} /> : null}
      {history.isPending ? <Loading /> : null}
      {history.data ? (
        history.data.length === 0 ? (
          <Text size="sm">{t('history.none')}</Text>
        ) : (
          <ScrollTable minWidth={640} label={t('history.caption', { sku })}>
            <Table fz="sm">
              <Table.Caption>{t('history.caption', { sku })}</Table.Caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('history.changedAt')}</Table.Th>
                  <Table.Th scope="col">{t('prices.list')}</Table.Th>
                  <Table.Th scope="col">{t('prices.fromQuantity')}</Table.Th>
                  <Table.Th scope="col">{t('prices.amount')}</Table.Th>
                  <Table.Th scope="col">{t('prices.validFrom')}</Table.Th>
                  <Table.Th scope="col">{t('prices.validTo')}</Table.Th>
                  <Table.Th scope="col">{t('history.revision')}</Table.Th>
                  <Table.Th scope="col">{t('history.source')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {history.data.map((c) => (
                  <Table.Tr key={c.id}>
                    <Table.Td>{formatDateTime(c.changedAt, true)}</Table.Td>
                    <Table.Td>{c.priceListId}</Table.Td>
                    <Table.Td>{c.minQuantity}</Table.Td>
                    <Table.Td>
                      {c.amount === null
                        ? t('history.removed')
                        : formatMoney({ amount: c.amount, currency: currencyOf(c.priceListId) })}
                    </Table.Td>
                    <Table.Td>{formatDateTime(c.validFrom)}</Table.Td>
                    <Table.Td>{formatDateTime(c.validTo)}</Table.Td>
                    <Table.Td>{c.revision}</Table.Td>
                    <Table.Td>{c.source}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollTable>
        )
      ) : null}
    </Stack>
  );
}
