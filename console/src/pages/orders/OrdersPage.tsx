import { useTranslation } from 'react-i18next';
import { PageHeader } from '../../ui/feedback';

/** The orders and fulfilment page. */
export default function OrdersPage() {
  const { t } = useTranslation('orders');
  return <PageHeader title={t('title')} />;
}
