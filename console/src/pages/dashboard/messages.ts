/** Labels of the dashboard page, in English and Dutch (namespace `dashboard`). */
export const messages = {
  en: {
    title: 'Dashboard',
  },
  nl: {
    title: 'Dashboard',
  },
} satisfies Record<'en' | 'nl', Record<string, string>>;
