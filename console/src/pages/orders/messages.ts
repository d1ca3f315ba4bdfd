/** Labels of the orders and fulfilment page, in English and Dutch (namespace `orders`). */
export const messages = {
  en: {
    title: 'Orders and fulfilment',
  },
  nl: {
    title: 'Orders en fulfilment',
  },
} satisfies Record<'en' | 'nl', Record<string, string>>;
