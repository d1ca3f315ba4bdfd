import { useTranslation } from 'react-i18next';
import { PageHeader } from '../../ui/feedback';

/** The stock and prices page. */
export default function StockPage() {
  const { t } = useTranslation('stock');
  return <PageHeader title={t('title')} />;
}
