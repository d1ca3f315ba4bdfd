/** Labels of the customers page, in English and Dutch (namespace `customers`). */
export const messages = {
  en: {
    title: 'Customers',
  },
  nl: {
    title: 'Klanten',
  },
} satisfies Record<'en' | 'nl', Record<string, string>>;
