/** Labels of the channel mirror page, in English and Dutch (namespace `mirror`). */
export const messages = {
  en: {
    title: 'Channel mirror',
  },
  nl: {
    title: 'Kanaalspiegel',
  },
} satisfies Record<'en' | 'nl', Record<string, string>>;
