/** Labels of the stock and prices page, in English and Dutch (namespace `stock`). */
export const messages = {
  en: {
    title: 'Stock and prices',
  },
  nl: {
    title: 'Voorraad en prijzen',
  },
} satisfies Record<'en' | 'nl', Record<string, string>>;
