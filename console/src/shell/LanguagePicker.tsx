import { SegmentedControl } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { setLanguage, type Language } from '../i18n';

/** English / Nederlands, each named in its own language. */
export function LanguagePicker() {
  const { t, i18n } = useTranslation();
  return (
    <SegmentedControl
      aria-label={t('language.label')}
      size="xs"
      value={i18n.language}
      onChange={(v) => setLanguage(v as Language)}
      data={[
        { value: 'en', label: 'English' },
        { value: 'nl', label: 'Nederlands' },
      ]}
    />
  );
}
