import { useTranslation } from 'react-i18next';
import { PageHeader } from '../../ui/feedback';

/** The customers page. */
export default function CustomersPage() {
  const { t } = useTranslation('customers');
  return <PageHeader title={t('title')} />;
}
