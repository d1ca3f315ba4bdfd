import { useTranslation } from 'react-i18next';
import { PageHeader } from '../../ui/feedback';

/** The dashboard page. */
export default function DashboardPage() {
  const { t } = useTranslation('dashboard');
  return <PageHeader title={t('title')} />;
}
