import { useTranslation } from 'react-i18next';
import { Route, Routes } from 'react-router';
import { PageHeader } from '../../ui/feedback';
import { PromotionEditor } from './PromotionEditor';
import { PromotionList } from './PromotionList';

/**
 * The promotions page: the list (`/promotions`), a new promotion (`/promotions/new`) and one promotion
 * (`/promotions/:id`) with its form, budget use, coupon batches and the cart preview.
 */
export default function PromotionsPage() {
  const { t } = useTranslation('promotions');
  return (
    <>
      <PageHeader title={t('title')} intro={t('intro')} />
      <Routes>
        <Route index element={<PromotionList />} />
        <Route path="new" element={<PromotionEditor isNew />} />
        <Route path=":id" element={<PromotionEditor isNew={false} />} />
      </Routes>
    </>
  );
}
