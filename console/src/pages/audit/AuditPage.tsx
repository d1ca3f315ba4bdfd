import {
  Button,
  Code,
  Group,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { ApiError, rest } from '../../api/client';
import { DataTable } from '../../ui/DataTable';
import { DateTimeInput, isoOfLocalInput, localInputOf } from '../../ui/datetime';
import { ErrorAlert, Loading, PageHeader } from '../../ui/feedback';
import { formatDateTime } from '../../ui/format';
import { retryUnlessRefused } from '../../ui/query';

/** One line of the audit trail, as `GET /admin/v1/audit` answers it. */
interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject: string | null;
  revision: number | null;
  details: Record<string, unknown>;
}

interface AuditPage {
  entries: AuditEntry[];
  next: number | null;
}

/** The filters the hub applies: actor exact, action a prefix, subject exact, the window [from, to). */
interface AuditFilters {
  actor?: string;
  action?: string;
  subject?: string;
  from?: string;
  to?: string;
}

const PAGE_SIZE = 50;
const FILTER_KEYS = ['actor', 'action', 'subject', 'from', 'to'] as const;

/** Every action: the kind that sets no action filter. */
const ALL = 'all';
/** The kinds of action offered: each an action prefix the hub filters by. */
const KINDS = [
  { value: ALL, label: 'kind.all' },
  { value: 'customer.', label: 'kind.customer' },
  { value: 'customer.search', label: 'kind.search' },
  { value: 'PUT ', label: 'kind.put' },
  { value: 'POST ', label: 'kind.post' },
  { value: 'DELETE ', label: 'kind.delete' },
] as const;

function filtersOf(params: URLSearchParams): AuditFilters {
  const f: AuditFilters = {};
  for (const k of FILTER_KEYS) {
    const v = params.get(k);
    if (v) f[k] = v;
  }
  return f;
}

/** A customer id as the trail names her (`customer:<id>`); a subject as listed stays as it is. */
function subjectOf(value: string): string {
  const v = value.trim();
  return v.includes(':') || v.startsWith('/') ? v : `customer:${v.toLowerCase()}`;
}

/**
 * An actor as the trail stores it: a bare name is an admin key's (`bootstrap` → `admin:bootstrap`); with a
 * kind (`client:<id>`, `channel:WEB`, `admin:<name>`) it stays as typed. The hub matches actors exactly.
 */
function actorOf(value: string): string | undefined {
  const v = value.trim();
  if (!v) return undefined;
  return v.includes(':') ? v : `admin:${v}`;
}

/** A `datetime-local` value → ISO 8601, or undefined when empty or no instant. */
const instantOf = (local: string): string | undefined => isoOfLocalInput(local) ?? undefined;

function fetchAudit(filters: AuditFilters, before: number | null): Promise<AuditPage> {
  const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
  for (const k of FILTER_KEYS) {
    const v = filters[k];
    if (v) q.set(k, v);
  }
  if (before !== null) q.set('before', String(before));
  return rest<AuditPage>('GET', `/audit?${q.toString()}`);
}

/**
 * The audit trail (`GET /admin/v1/audit`): who changed what and who read which profile, newest first,
 * filtered by the hub (actor, kind of action, subject or customer id, time window; kept in the address) and
 * paged with "show more".
 */
export default function AuditPage() {
  const { t } = useTranslation('audit');
  const [params, setParams] = useSearchParams();
  const applied = filtersOf(params);
  const trail = useInfiniteQuery({
    queryKey: ['audit', applied],
    queryFn: ({ pageParam }) => fetchAudit(applied, pageParam),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.next,
    // A refusal (bad filters, no access) is not asked again; a failure to reach the hub is, once.
    retry: retryUnlessRefused,
  });
  const entries = trail.data?.pages.flatMap((p) => p.entries) ?? [];
  const fieldErrors = trail.error instanceof ApiError ? trail.error.fieldErrors('query.') : {};

  return (
    <Stack gap="lg">
      <PageHeader title={t('title')} intro={t('intro')} />
      <FilterForm
        key={params.toString()}
        applied={applied}
        errors={fieldErrors}
        onApply={(f) => {
          const next = new URLSearchParams();
          for (const k of FILTER_KEYS) {
            const v = f[k];
            if (v) next.set(k, v);
          }
          setParams(next);
        }}
      />
      {trail.isError ? <ErrorAlert error={trail.error} /> : null}
      {trail.isPending ? (
        <Loading />
      ) : trail.isError ? null : (
        <Stack gap="sm">
          <Text role="status" aria-live="polite">
            {entries.length === 0 ? t('none') : t('count', { count: entries.length })}
          </Text>
          {entries.length > 0 ? <AuditTable entries={entries} /> : null}
          {trail.hasNextPage ? (
            <Group>
              <Button
                variant="default"
                onClick={() => void trail.fetchNextPage()}
                loading={trail.isFetchingNextPage}
              >
                {t('more')}
              </Button>
            </Group>
          ) : entries.length > 0 ? (
            <Text size="sm">{t('end')}</Text>
          ) : null}
        </Stack>
      )}
    </Stack>
  );
}

function FilterForm({
  applied,
  errors,
  onApply,
}: {
  applied: AuditFilters;
  errors: Record<string, string>;
  onApply(f: AuditFilters): void;
}) {
  const { t } = useTranslation('audit');
  const [actor, setActor] = useState(applied.actor ?? '');
  const [action, setAction] = useState(applied.action ?? ALL);
  const [subject, setSubject] = useState(applied.subject ?? '');
  const [from, setFrom] = useState(localInputOf(applied.from));
  const [to, setTo] = useState(localInputOf(applied.to));
  const kinds = KINDS.some((k) => k.value === action)
    ? KINDS.map((k) => ({ value: k.value, label: t(k.label) }))
    : [...KINDS.map((k) => ({ value: k.value, label: t(k.label) })), { value: action, label: action }];

  function submit(e: FormEvent) {
    e.preventDefault();
    onApply({
      actor: actorOf(actor),
      action: action === ALL ? undefined : action,
      subject: subject.trim() ? subjectOf(subject) : undefined,
      from: instantOf(from),
      to: instantOf(to),
    });
  }

  return (
    <Paper withBorder p="md">
      <form onSubmit={submit} aria-labelledby="audit-filters">
        <Stack gap="sm">
          <Title order={2} size="h4" id="audit-filters">
            {t('filters')}
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
            <TextInput
              label={t('actor')}
              description={t('actorHint')}
              value={actor}
              onChange={(e) => setActor(e.currentTarget.value)}
              error={errors.actor}
            />
            <Select
              label={t('kind')}
              data={kinds}
              value={action}
              onChange={(v) => setAction(v ?? ALL)}
              allowDeselect={false}
              error={errors.action}
            />
            <TextInput
              label={t('subject')}
              description={t('subjectHint')}
              value={subject}
              onChange={(e) => setSubject(e.currentTarget.value)}
              error={errors.subject}
            />
            <DateTimeInput
              label={t('from')}
              value={from}
              onChange={(e) => setFrom(e.currentTarget.value)}
              error={errors.from}
            />
            <DateTimeInput
              label={t('to')}
              value={to}
              onChange={(e) => setTo(e.currentTarget.value)}
              error={errors.to}
            />
          </SimpleGrid>
          <Group>
            <Button type="submit">{t('apply')}</Button>
            <Button variant="default" onClick={() => onApply({})}>
              {t('clear')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}

function AuditTable({ entries }: { entries: AuditEntry[] }) {
  const { t } = useTranslation('audit');
  return (
    <DataTable
      caption={t('entries')}
      minWidth={720}
      head={[t('at'), t('actorColumn'), t('action'), t('subjectColumn'), t('details')]}
    >
      {entries.map((e) => (
        <Table.Tr key={e.id} data-testid="audit-row">
          <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(e.at, true)}</Table.Td>
          <Table.Td>{e.actor}</Table.Td>
          <Table.Td>
            <Code>{e.action}</Code>
          </Table.Td>
          <Table.Td style={{ wordBreak: 'break-all' }}>{e.subject ?? '—'}</Table.Td>
          <Table.Td>
            <Details entry={e} />
          </Table.Td>
        </Table.Tr>
      ))}
    </DataTable>
  );
}

/** An entry's details: a one-line summary, the JSON behind a disclosure. */
function Details({ entry }: { entry: AuditEntry }) {
  const { t } = useTranslation('audit');
  const keys = Object.keys(entry.details);
  const parts = keys.slice(0, 3).map((k) => `${k}: ${short(entry.details[k])}`);
  if (keys.length > 3) parts.push('…');
  if (entry.revision !== null) parts.unshift(t('revision', { revision: entry.revision }));
  if (parts.length === 0) return <Text size="sm">{t('noDetails')}</Text>;
  if (keys.length === 0) return <Text size="sm">{parts.join(', ')}</Text>;
  return (
    <details>
      <summary style={{ cursor: 'pointer' }}>
        <Text span size="sm">
          {parts.join(', ')}
        </Text>
      </summary>
      <Code block mt={4}>
        {JSON.stringify(entry.details, null, 2)}
      </Code>
    </details>
  );
}

function short(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}
