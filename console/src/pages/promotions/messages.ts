/** Labels of the promotions page, in English and Dutch (namespace `promotions`). */
export const messages = {
  en: {
    title: 'Promotions',
  },
  nl: {
    title: 'Promoties',
  },
} satisfies Record<'en' | 'nl', Record<string, string>>;
