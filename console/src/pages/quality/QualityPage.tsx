import { useTranslation } from 'react-i18next';
import { PageHeader } from '../../ui/feedback';

/** The data quality page. */
export default function QualityPage() {
  const { t } = useTranslation('quality');
  return <PageHeader title={t('title')} />;
}
