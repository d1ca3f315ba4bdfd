import { Alert, Button, Group, NativeSelect, Paper, Stack, Text, TextInput } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { subscribe, type ApiError } from '../../api/client';
import { useAccess } from '../../api/session';
import { ErrorAlert, Loading, PageHeader } from '../../ui/feedback';
import { formatNumber } from '../../ui/format';
import {
  fetchLocations,
  fetchMirror,
  MIRROR_SUBSCRIPTION,
  mirrorVariables,
  revisionAtLeast,
  searchCustomers,
  type ChannelMirror,
  type MirrorSelection,
} from './mirror-api';
import { MirrorPanes, Verdict } from './MirrorPanes';
import { ProductPicker } from './ProductPicker';
import { markArrived, onChangeElsewhere, readLastChange, type LastChange } from './propagation';

/** The selection as the URL query carries it: `?sku=…&customer=…&store=…&postcode=…&country=…`. */
function selectionOf(params: URLSearchParams): MirrorSelection {
  const get = (k: string) => params.get(k)?.trim() || undefined;
  return {
    sku: get('sku') ?? '',
    customerId: get('customer'),
    locationId: get('store'),
    postcode: get('postcode'),
    countryCode: get('country'),
  };
}

function queryOf(s: MirrorSelection): Record<string, string> {
  const q: Record<string, string> = {};
  if (s.sku) q.sku = s.sku;
  if (s.customerId) q.customer = s.customerId;
  if (s.locationId) q.store = s.locationId;
  if (s.postcode) q.postcode = s.postcode;
  if (s.countryCode) q.country = s.countryCode;
  return q;
}

/**
 * The channel mirror: for one SKU (and optionally a customer, a store and a postcode), what the webshop,
 * the app, a store terminal and the call center answer, side by side and live, with a verdict in words and —
 * after a change made on the stock and prices page — how long it took to reach every channel. The selection
 * lives in the URL, so a view can be linked.
 */
export default function MirrorPage() {
  const { t } = useTranslation('mirror');
  const [params, setParams] = useSearchParams();
  const selection = useMemo(() => selectionOf(params), [params]);

  return (
    <>
      <PageHeader title={t('title')} intro={t('intro')} />
      <Stack gap="md">
        <SelectionForm selection={selection} onApply={(s) => setParams(queryOf(s), { replace: false })} />
        {selection.sku ? <MirrorView selection={selection} /> : <Text>{t('chooseSku')}</Text>}
      </Stack>
    </>
  );
}

/** A customer id as the hub gives it (a UUID). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function SelectionForm({
  selection,
  onApply,
}: {
  selection: MirrorSelection;
  onApply(s: MirrorSelection): void;
}) {
  const { t } = useTranslation('mirror');
  const { can } = useAccess();
  const [draft, setDraft] = useState<MirrorSelection>(selection);
  useEffect(() => setDraft(selection), [selection]);
  const locations = useQuery({ queryKey: ['locations'], queryFn: fetchLocations, staleTime: 60_000 });
  const stores = (locations.data ?? []).filter((l) => l.kind === 'STORE');

  // A customer id is her profile's UUID: anything else (her e-mail, typed by habit) is said at the field and
  // never asked of the hub.
  const [customerError, setCustomerError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const id = draft.customerId?.trim();
    if (id && !UUID.test(id)) {
      setCustomerError(t('form.customerNotId'));
      return;
    }
    setCustomerError(null);
    onApply({ ...draft, ...(id ? { customerId: id } : {}) });
  };

  return (
    <Paper withBorder p="sm" component="form" onSubmit={submit} aria-label={t('form.label')}>
      <Stack gap="sm">
        <Group align="flex-end" wrap="wrap" gap="sm">
          <ProductPicker sku={draft.sku} onChange={(sku) => onApply({ ...draft, sku })} />
        </Group>
        <Group align="flex-end" wrap="wrap" gap="sm">
          <TextInput
            label={t('form.customer')}
            description={t('form.customerHint')}
            value={draft.customerId ?? ''}
            onChange={(e) => setDraft({ ...draft, customerId: e.currentTarget.value || undefined })}
            error={customerError}
            errorProps={{ role: 'alert' }}
            miw={280}
          />
          <NativeSelect
            label={t('form.store')}
            value={draft.locationId ?? ''}
            data={[
              { value: '', label: t('form.noStore') },
              ...stores.map((l) => ({ value: l.id, label: `${l.name} (${l.id})` })),
              ...(draft.locationId && !stores.some((l) => l.id === draft.locationId)
                ? [{ value: draft.locationId, label: draft.locationId }]
                : []),
            ]}
            onChange={(e) => setDraft({ ...draft, locationId: e.currentTarget.value || undefined })}
            miw={220}
          />
          <TextInput
            label={t('form.postcode')}
            value={draft.postcode ?? ''}
            onChange={(e) => setDraft({ ...draft, postcode: e.currentTarget.value || undefined })}
            w={120}
          />
          <NativeSelect
            label={t('form.country')}
            value={draft.countryCode ?? 'NL'}
            data={[
              { value: 'NL', label: t('form.country.NL') },
              { value: 'BE', label: t('form.country.BE') },
            ]}
            onChange={(e) => setDraft({ ...draft, countryCode: e.currentTarget.value })}
            w={160}
          />
          <Button type="submit" disabled={!draft.sku}>
            {t('form.show')}
          </Button>
        </Group>
        {can('customers') ? <CustomerFinder onPick={(id) => setDraft({ ...draft, customerId: id })} /> : null}
        {locations.error ? <ErrorAlert error={locations.error} /> : null}
      </Stack>
    </Paper>
  );
}

/** Finds a customer by e-mail, phone, card or name (the `customers` area) and fills in her id. */
function CustomerFinder({ onPick }: { onPick(id: string): void }) {
  const { t } = useTranslation('mirror');
  const [text, setText] = useState('');
  const [asked, setAsked] = useState('');
  const hits = useQuery({
    queryKey: ['mirror-customers', asked],
    queryFn: () => searchCustomers(asked),
    enabled: asked.length >= 2,
  });
  return (
    <Stack gap="xs">
      <Group align="flex-end" wrap="wrap" gap="sm">
        <TextInput
          label={t('finder.label')}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              setAsked(text.trim());
            }
          }}
          miw={280}
        />
        <Button variant="default" onClick={() => setAsked(text.trim())} disabled={text.trim().length < 2}>
          {t('finder.search')}
        </Button>
      </Group>
      {hits.error ? <ErrorAlert error={hits.error} /> : null}
      {hits.data ? (
        hits.data.length === 0 ? (
          <Text size="sm" role="status">
            {t('finder.none')}
          </Text>
        ) : (
          <Group gap="xs" wrap="wrap" role="list" aria-label={t('finder.results')}>
            {hits.data.map((h) => (
              <div role="listitem" key={h.id}>
                <Button size="xs" variant="light" onClick={() => onPick(h.id)}>
                  {t('finder.use', { name: h.displayName ?? h.id })}
                </Button>
              </div>
            ))}
          </Group>
        )
      ) : null}
    </Stack>
  );
}

/** Whether every pane answers at `change.revision` or later. */
function everyPaneAt(mirror: ChannelMirror, change: LastChange): boolean {
  return mirror.panes.length > 0 && mirror.panes.every((p) => revisionAtLeast(p.revision, change.revision));
}

function MirrorView({ selection }: { selection: MirrorSelection }) {
  const { t } = useTranslation('mirror');
  const queryClient = useQueryClient();
  const queryKey = useMemo(() => ['channelMirror', mirrorVariables(selection)], [selection]);
  const [change, setChange] = useState<LastChange | null>(() => {
    const c = readLastChange();
    return c && c.sku === selection.sku ? c : null;
  });
  const pending = change !== null && change.arrivedAt === undefined;
  const mirror = useQuery({
    queryKey,
    queryFn: () => fetchMirror(selection),
    // Until a change has reached every channel, look again every second besides the live updates.
    refetchInterval: pending ? 1000 : false,
  });
  const [live, setLive] = useState<'connecting' | 'live' | ApiError>('connecting');

  useEffect(() => {
    setLive('connecting');
    return subscribe<{ channelMirrorChanged: ChannelMirror }>(
      MIRROR_SUBSCRIPTION,
      mirrorVariables(selection),
      (data) => {
        setLive('live');
        queryClient.setQueryData(queryKey, data.channelMirrorChanged);
      },
      (e) => setLive(e),
    );
  }, [queryClient, queryKey, selection]);

  // A change made on the stock and prices page in another tab is measured here too.
  useEffect(
    () =>
      onChangeElsewhere((c) => {
        if (c && c.sku === selection.sku) setChange(c);
      }),
    [selection.sku],
  );

  useEffect(() => {
    if (mirror.data && change && change.arrivedAt === undefined && everyPaneAt(mirror.data, change))
      setChange(markArrived(change));
  }, [mirror.data, change]);

  return (
    <Stack gap="sm">
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Text size="sm" role="status" aria-live="polite" data-testid="mirror-live">
          {live === 'connecting'
            ? t('live.connecting')
            : live === 'live'
              ? t('live.on')
              : t('live.off', { message: live.message })}
        </Text>
        <Button variant="default" size="xs" onClick={() => void mirror.refetch()} loading={mirror.isFetching}>
          {t('refresh')}
        </Button>
      </Group>
      {change ? <Propagation change={change} /> : null}
      {mirror.error ? <ErrorAlert error={mirror.error} /> : null}
      {mirror.data ? (
        <>
          <Verdict mirror={mirror.data} />
          <MirrorPanes mirror={mirror.data} />
        </>
      ) : mirror.isPending ? (
        <Loading />
      ) : null}
    </Stack>
  );
}

/** How long the last change of this tab took to reach every channel, or that the mirror is waiting for it. */
function Propagation({ change }: { change: LastChange }) {
  const { t } = useTranslation('mirror');
  const what = t(`change.${change.kind}`, { revision: change.revision });
  return (
    <Alert
      role="status"
      aria-live="polite"
      variant="outline"
      color={change.arrivedAt === undefined ? 'dark' : 'indigo.9'}
      title={t('propagation.title')}
      data-testid="mirror-propagation"
    >
      <Text size="sm">
        {change.arrivedAt === undefined
          ? t('propagation.waiting', { what })
          : t('propagation.arrived', { what, ms: formatNumber(change.arrivedAt - change.savedAt) })}
      </Text>
    </Alert>
  );
}
