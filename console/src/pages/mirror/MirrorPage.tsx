import { useTranslation } from 'react-i18next';
import { PageHeader } from '../../ui/feedback';

/** The channel mirror page. */
export default function MirrorPage() {
  const { t } = useTranslation('mirror');
  return <PageHeader title={t('title')} />;
}
