/** Labels of the data quality page, in English and Dutch (namespace `quality`). */
export const messages = {
  en: {
    title: 'Data quality',
  },
  nl: {
    title: 'Datakwaliteit',
  },
} satisfies Record<'en' | 'nl', Record<string, string>>;
