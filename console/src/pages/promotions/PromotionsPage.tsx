import { useTranslation } from 'react-i18next';
import { PageHeader } from '../../ui/feedback';

/** The promotions page. */
export default function PromotionsPage() {
  const { t } = useTranslation('promotions');
  return <PageHeader title={t('title')} />;
}
