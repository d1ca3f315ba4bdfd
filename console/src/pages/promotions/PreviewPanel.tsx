import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Fieldset,
  Group,
  List,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/client';
import { DataTable } from '../../ui/DataTable';
import { DateTimeInput, isoOfLocalInput } from '../../ui/datetime';
import { ErrorAlert } from '../../ui/feedback';
import { formatDateTime, formatMoney } from '../../ui/format';
import { channelLabel } from '../../ui/labels';
import { tierName, useLoyaltyTiers } from '../../ui/loyalty';
import {
  PREVIEW_CHANNELS,
  previewPromotions,
  type PreviewBody,
  type PreviewChannel,
  type PreviewView,
  type PromotionBody,
} from './api';
import { errorAt } from './draft';
import { parseList, type FieldErrors } from './kinds';

interface LineRow {
  key: number;
  sku: string;
  quantity: string;
}

let nextLine = 1;

/**
 * "As customer X, in channel Y, at time T": prices a cart with the promotion being edited taken as if saved
 * (POST /admin/v1/promotions/preview) and shows each line with its adjustments and their reasons, and the
 * totals. Nothing is saved, counted or spent. `draft` gives the form's body (null when the form has problems
 * of its own, which it then shows); `onDraftErrors` gets the hub's field errors about the draft, by form
 * path.
 */
export function PreviewPanel(props: {
  promotionId: string;
  draft: () => PromotionBody | null;
  onDraftErrors: (errors: FieldErrors) => void;
}) {
  const { t } = useTranslation('promotions');
  const [channel, setChannel] = useState<PreviewChannel>('WEB');
  const [customerId, setCustomerId] = useState('');
  const [locationId, setLocationId] = useState('');
  const [at, setAt] = useState('');
  const [coupons, setCoupons] = useState('');
  const [withDraft, setWithDraft] = useState(true);
  const [lines, setLines] = useState<LineRow[]>([{ key: nextLine++, sku: '', quantity: '1' }]);
  const [errors, setErrors] = useState<FieldErrors>({});

  const preview = useMutation({
    mutationFn: (body: PreviewBody) => previewPromotions(body),
    onMutate: () => setErrors({}),
    onError: (e) => {
      if (!(e instanceof ApiError)) return;
      const all = e.fieldErrors('body.');
      const mine: FieldErrors = {};
      const draftErrors: FieldErrors = {};
      for (const [p, m] of Object.entries(all)) {
        if (p.startsWith('promotion.')) draftErrors[p.slice('promotion.'.length)] = m;
        else mine[p] = m;
      }
      setErrors(mine);
      if (Object.keys(draftErrors).length > 0) props.onDraftErrors(draftErrors);
    },
  });

  const run = () => {
    const local: FieldErrors = {};
    const body: PreviewBody = { channel, lines: [] };
    lines.forEach((l, i) => {
      if (!l.sku.trim()) local[`lines.${i}.sku`] = t('problem.required');
      if (!/^\d+$/.test(l.quantity.trim()) || Number(l.quantity) < 1)
        local[`lines.${i}.quantity`] = t('problem.quantity');
      body.lines.push({ sku: l.sku.trim(), quantity: Number(l.quantity) });
    });
    if (customerId.trim()) body.customerId = customerId.trim();
    if (locationId.trim()) body.locationId = locationId.trim();
    if (channel === 'STORE' && !locationId.trim()) local.locationId = t('preview.storeNeeded');
    if (at.trim()) {
      const iso = isoOfLocalInput(at);
      if (!iso) local.at = t('problem.datetime');
      else body.at = iso;
    }
    const codes = parseList(coupons);
    if (codes.length > 0) body.couponCodes = codes;
    if (withDraft) {
      const draft = props.draft();
      if (!draft) return;
      body.promotion = { id: props.promotionId, ...draft };
    }
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    preview.mutate(body);
  };

  const result = preview.data;
  const strayErrors =
    preview.error instanceof ApiError && preview.error.issues.length === 0 ? preview.error : null;
  return (
    <Fieldset legend={t('preview.title')}>
      <Stack gap="sm">
        <Text size="sm">{t('preview.intro')}</Text>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          <Select
            label={t('preview.channel')}
            data={PREVIEW_CHANNELS.map((c) => ({ value: c, label: channelLabel(t, c) }))}
            value={channel}
            allowDeselect={false}
            onChange={(v) => v && setChannel(v as PreviewChannel)}
            error={errorAt(errors, 'channel')}
          />
          <TextInput
            label={t('preview.customerId')}
            description={t('hint.customerId')}
            value={customerId}
            onChange={(e) => setCustomerId(e.currentTarget.value)}
            error={errorAt(errors, 'customerId')}
          />
          <TextInput
            label={t('preview.locationId')}
            description={t('hint.locationId')}
            value={locationId}
            onChange={(e) => setLocationId(e.currentTarget.value)}
            error={errorAt(errors, 'locationId')}
          />
          <DateTimeInput
            label={t('preview.at')}
            description={t('hint.at')}
            value={at}
            onChange={(e) => setAt(e.currentTarget.value)}
            error={errorAt(errors, 'at')}
          />
          <Textarea
            label={t('preview.coupons')}
            description={t('hint.list')}
            autosize
            minRows={1}
            value={coupons}
            onChange={(e) => setCoupons(e.currentTarget.value)}
            error={errorAt(errors, 'couponCodes')}
          />
          <Select
            label={t('preview.which')}
            data={[
              { value: 'draft', label: t('preview.withDraft') },
              { value: 'saved', label: t('preview.savedOnly') },
            ]}
            value={withDraft ? 'draft' : 'saved'}
            allowDeselect={false}
            onChange={(v) => setWithDraft(v !== 'saved')}
          />
        </SimpleGrid>
        <Text size="sm" fw={500}>
          {t('preview.lines')}
        </Text>
        {lines.map((l, i) => (
          <Group key={l.key} align="flex-start" gap="xs" wrap="wrap">
            <TextInput
              label={t('preview.sku', { n: i + 1 })}
              value={l.sku}
              onChange={(e) => {
                const sku = e.currentTarget.value;
                setLines(lines.map((x) => (x.key === l.key ? { ...x, sku } : x)));
              }}
              error={errorAt(errors, `lines.${i}.sku`)}
              w={260}
            />
            <TextInput
              label={t('preview.quantity', { n: i + 1 })}
              inputMode="numeric"
              value={l.quantity}
              onChange={(e) => {
                const quantity = e.currentTarget.value;
                setLines(lines.map((x) => (x.key === l.key ? { ...x, quantity } : x)));
              }}
              error={errorAt(errors, `lines.${i}.quantity`)}
              w={120}
            />
            {lines.length > 1 ? (
              <ActionIcon
                mt={28}
                variant="subtle"
                color="red"
                aria-label={t('preview.removeLine', { n: i + 1 })}
                onClick={() => setLines(lines.filter((x) => x.key !== l.key))}
              >
                ×
              </ActionIcon>
            ) : null}
          </Group>
        ))}
        {errorAt(
          errors,
          'lines',
          lines.map((_, i) => `lines.${i}`),
        ) ? (
          <Text size="sm" c="red.8" role="alert">
            {errorAt(
              errors,
              'lines',
              lines.map((_, i) => `lines.${i}`),
            )}
          </Text>
        ) : null}
        <Group>
          <Button
            variant="light"
            onClick={() => setLines([...lines, { key: nextLine++, sku: '', quantity: '1' }])}
          >
            {t('preview.addLine')}
          </Button>
          <Button onClick={run} loading={preview.isPending}>
            {t('preview.run')}
          </Button>
        </Group>
        {strayErrors ? <ErrorAlert error={strayErrors} /> : null}
        {preview.isError && !(preview.error instanceof ApiError) ? (
          <ErrorAlert error={preview.error} />
        ) : null}
        <div role="status" aria-live="polite">
          {result ? <PreviewTable result={result} /> : null}
        </div>
      </Stack>
    </Fieldset>
  );
}

/** The priced cart: each line with its adjustments and reasons, then the totals and the coupons. */
function PreviewTable({ result }: { result: PreviewView }) {
  const { t } = useTranslation('promotions');
  const tiers = useLoyaltyTiers();
  return (
    <Stack gap="sm" mt="sm">
      <Text size="sm">
        {t('preview.pricedAt', {
          at: formatDateTime(result.at, true),
          channel: channelLabel(t, result.channel),
          revision: result.revision,
        })}
      </Text>
      <DataTable
        caption={t('preview.caption')}
        minWidth={640}
        tableProps={{ striped: false }}
        head={[
          t('preview.col.sku'),
          t('preview.col.quantity'),
          t('preview.col.base'),
          t('preview.col.adjustments'),
          t('preview.col.final'),
        ]}
      >
        {result.lines.map((l, i) => (
          <Table.Tr key={`${l.sku}-${i}`}>
            <Table.Td>{l.sku}</Table.Td>
            <Table.Td>{l.quantity}</Table.Td>
            <Table.Td>
              {formatMoney(l.base)}
              <Text size="xs">{t('preview.unit', { price: formatMoney(l.unitPrice) })}</Text>
            </Table.Td>
            <Table.Td>
              {l.adjustments.length === 0 ? (
                t('preview.noAdjustments')
              ) : (
                <List size="sm" spacing={2}>
                  {l.adjustments.map((a, j) => (
                    <List.Item key={`${a.id}-${j}`}>
                      <Badge size="xs" variant="outline" color="indigo.9" tt="none" mr={4}>
                        {t(`source.${a.source}`, { defaultValue: a.source })}
                      </Badge>
                      <strong>{a.label}</strong>: −{formatMoney(a.amount)} — {a.reason}
                    </List.Item>
                  ))}
                </List>
              )}
            </Table.Td>
            <Table.Td fw={600}>{formatMoney(l.final)}</Table.Td>
          </Table.Tr>
        ))}
      </DataTable>
      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
        <Total label={t('preview.subtotal')} value={formatMoney(result.subtotal)} />
        <Total label={t('preview.discount')} value={`−${formatMoney(result.discountTotal)}`} />
        <Total label={t('preview.total')} value={formatMoney(result.total)} />
        <Total label={t('preview.vat')} value={formatMoney(result.vatTotal)} />
      </SimpleGrid>
      {result.loyalty ? (
        <Text size="sm">
          {t('preview.loyalty', {
            points: result.loyalty.pointsEarned,
            tier: tierName(tiers, result.loyalty.tierAfter),
          })}
        </Text>
      ) : null}
      {result.appliedCoupons.length > 0 ? (
        <Text size="sm">{t('preview.applied', { codes: result.appliedCoupons.join(', ') })}</Text>
      ) : null}
      {result.rejectedCoupons.length > 0 ? (
        <Alert color="yellow" title={t('preview.rejected')}>
          <List size="sm">
            {result.rejectedCoupons.map((c) => (
              <List.Item key={c.code}>
                {c.code}: {c.reason}
              </List.Item>
            ))}
          </List>
        </Alert>
      ) : null}
      <Text size="xs">{t('preview.nothingChanged')}</Text>
    </Stack>
  );
}

function Total({ label, value }: { label: string; value: string }) {
  return (
    <Stack gap={0}>
      <Text size="xs">{label}</Text>
      <Text fw={700} data-total={label}>
        {value}
      </Text>
    </Stack>
  );
}
