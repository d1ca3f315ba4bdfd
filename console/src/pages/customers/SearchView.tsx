import { Anchor, Badge, Button, Group, Stack, Table, Text, TextInput, VisuallyHidden } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { ApiError } from '../../api/client';
import { DataTable } from '../../ui/DataTable';
import { ErrorAlert, Loading, PageHeader } from '../../ui/feedback';
import { searchCustomers, type SearchHit } from './api';

/** The shortest search the hub answers. */
const MIN_QUERY = 2;

/** The search box's own field error, if the hub refused the query for it. */
function queryError(e: unknown): string | undefined {
  if (!(e instanceof ApiError)) return undefined;
  const f = e.fieldErrors('query.');
  return f.query ?? f.identifier;
}

/**
 * A search form: one box for an e-mail, phone, card or name. `onSubmit` gets the trimmed query; the field
 * shows `error` next to it.
 */
export function SearchForm({
  initial,
  onSubmit,
  error,
  label,
}: {
  initial: string;
  onSubmit(query: string): void;
  error?: string | undefined;
  label?: string;
}) {
  const { t } = useTranslation('customers');
  const [value, setValue] = useState(initial);
  const [tooShort, setTooShort] = useState(false);
  function submit(e: FormEvent) {
    e.preventDefault();
    const q = value.trim();
    setTooShort(q.length < MIN_QUERY);
    if (q.length >= MIN_QUERY) onSubmit(q);
  }
  return (
    <form onSubmit={submit} role="search" aria-label={label ?? t('search.label')}>
      <Group align="flex-end" wrap="wrap">
        <TextInput
          label={label ?? t('search.label')}
          description={t('search.hint')}
          value={value}
          onChange={(e) => setValue(e.currentTarget.value)}
          error={tooShort ? t('search.tooShort') : error}
          style={{ flex: '1 1 18rem' }}
          autoComplete="off"
        />
        <Button type="submit">{t('search.submit')}</Button>
      </Group>
    </form>
  );
}

/** The profiles a search found, as a table: name, how it matched, and a way in. */
export function SearchResults({ hits, action }: { hits: SearchHit[]; action(hit: SearchHit): ReactNode }) {
  const { t } = useTranslation('customers');
  if (hits.length === 0) return <Text role="status">{t('search.none')}</Text>;
  return (
    <DataTable
      caption={t('search.results')}
      hiddenCaption
      head={[
        t('field.name'),
        t('search.matchedBy'),
        { label: <VisuallyHidden>{t('search.open')}</VisuallyHidden> },
      ]}
    >
      {hits.map((h) => (
        <Table.Tr key={h.id}>
          <Table.Td>{h.displayName ?? t('noName')}</Table.Td>
          <Table.Td>
            <Badge variant="light" color="gray" c="dark">
              {t(`matchedBy.${h.matchedBy}`)}
            </Badge>
          </Table.Td>
          <Table.Td>{action(h)}</Table.Td>
        </Table.Tr>
      ))}
    </DataTable>
  );
}

/** `/customers`: find a customer; the query stays in the address (`?q=`), so going back keeps the list. */
export function SearchView() {
  const { t } = useTranslation('customers');
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const results = useQuery({
    queryKey: ['customers', 'search', q],
    queryFn: () => searchCustomers(q),
    enabled: q.length >= MIN_QUERY,
    retry: false,
  });
  return (
    <Stack>
      <PageHeader title={t('title')} intro={t('intro')} />
      <SearchForm
        key={q}
        initial={q}
        onSubmit={(query) => setParams({ q: query })}
        error={queryError(results.error)}
      />
      {q.length < MIN_QUERY ? null : results.isPending ? (
        <Loading />
      ) : results.isError ? (
        queryError(results.error) ? null : (
          <ErrorAlert error={results.error} />
        )
      ) : (
        <SearchResults
          hits={results.data}
          action={(h) => (
            <Anchor component={Link} to={`/customers/${h.id}`}>
              {t('search.openName', { name: h.displayName ?? t('noName') })}
            </Anchor>
          )}
        />
      )}
    </Stack>
  );
}
