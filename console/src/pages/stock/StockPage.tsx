import { Anchor, Paper, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { useAccess } from '../../api/session';
import { PageHeader } from '../../ui/feedback';
import { ProductPicker } from '../mirror/ProductPicker';
import { PricesSection } from './PricesSection';
import { LedgerSection } from './LedgerSection';
import { StockSection } from './StockSection';

/**
 * Stock and prices of one SKU (`?sku=` in the URL): its stock per location (the key's locations only when
 * it is location-scoped) with a count to set, and its price lists, scheduled prices, history and a preview at
 * any instant, with a price to change; its movement ledger, newest first. After a change, a link opens the
 * channel mirror for the SKU.
 */
export default function StockPage() {
  const { t } = useTranslation('stock');
  const { can } = useAccess();
  const [params, setParams] = useSearchParams();
  const sku = params.get('sku') ?? '';
  const showStock = can('stock');
  const showPrices = can('prices');

  return (
    <>
      <PageHeader title={t('title')} intro={t('intro')} />
      <Stack gap="md">
        <Paper withBorder p="sm">
          <ProductPicker sku={sku} onChange={(s) => setParams(s ? { sku: s } : {})} />
        </Paper>
        {sku ? (
          <>
            <Anchor component={Link} to={`/mirror?sku=${encodeURIComponent(sku)}`}>
              {t('openMirror', { sku })}
            </Anchor>
            {showPrices ? <PricesSection sku={sku} /> : null}
            {showStock ? <StockSection sku={sku} /> : null}
            {showStock ? <LedgerSection sku={sku} /> : null}
          </>
        ) : (
          <Text>{t('chooseSku')}</Text>
        )}
      </Stack>
    </>
  );
}
