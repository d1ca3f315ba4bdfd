import { Group, NativeSelect, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../ui/feedback';
import { searchProducts } from './mirror-api';

/**
 * Picks a SKU: a search box (SKU or name, admin REST `GET /products?search=`) and the matches as a list. The
 * chosen SKU stays in the list even when the search no longer finds it. Used by the channel mirror and the
 * stock and prices page.
 */
export function ProductPicker({ sku, onChange }: { sku: string; onChange(sku: string): void }) {
  const { t } = useTranslation('mirror');
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search, 250);
  const products = useQuery({
    queryKey: ['products', debounced],
    queryFn: () => searchProducts(debounced),
  });
  const found = products.data ?? [];
  const options = [
    { value: '', label: t('picker.choose') },
    ...(sku && !found.some((p) => p.sku === sku) ? [{ value: sku, label: sku }] : []),
    ...found.map((p) => ({ value: p.sku, label: `${p.sku} — ${p.name}` })),
  ];
  return (
    <>
      <Group grow align="flex-start" wrap="wrap" gap="sm" style={{ flex: 1 }}>
        <TextInput
          label={t('picker.search')}
          description={t('picker.searchHint')}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          miw={200}
        />
        <NativeSelect
          label={t('picker.product')}
          value={sku}
          data={options}
          onChange={(e) => onChange(e.currentTarget.value)}
          miw={240}
        />
      </Group>
      {products.error ? <ErrorAlert error={products.error} /> : null}
    </>
  );
}
