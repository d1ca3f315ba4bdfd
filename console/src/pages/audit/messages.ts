/** Labels of the audit page, in English and Dutch (namespace `audit`). */
export const messages = {
  en: {
    title: 'Audit',
  },
  nl: {
    title: 'Audit',
  },
} satisfies Record<'en' | 'nl', Record<string, string>>;
