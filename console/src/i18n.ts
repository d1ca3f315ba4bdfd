import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { messages as common } from './messages';
import { messages as audit } from './pages/audit/messages';
import { messages as customers } from './pages/customers/messages';
import { messages as dashboard } from './pages/dashboard/messages';
import { messages as mirror } from './pages/mirror/messages';
import { messages as orders } from './pages/orders/messages';
import { messages as promotions } from './pages/promotions/messages';
import { messages as quality } from './pages/quality/messages';
import { messages as stock } from './pages/stock/messages';

/** The console's languages: English and Dutch. */
export const LANGUAGES = ['en', 'nl'] as const;
export type Language = (typeof LANGUAGES)[number];

const LANGUAGE_ITEM = 'omnihub.console.language';

/** Each namespace (common, and one per page) with its English and Dutch labels. */
const NAMESPACES = { common, audit, customers, dashboard, mirror, orders, promotions, quality, stock };

function initialLanguage(): Language {
  const stored = localStorage.getItem(LANGUAGE_ITEM);
  if (stored === 'en' || stored === 'nl') return stored;
  return navigator.language.toLowerCase().startsWith('nl') ? 'nl' : 'en';
}

const resources: Record<Language, Record<string, Record<string, string>>> = { en: {}, nl: {} };
for (const [ns, m] of Object.entries(NAMESPACES)) {
  resources.en[ns] = m.en;
  resources.nl[ns] = m.nl;
}

void i18n.use(initReactI18next).init({
  resources,
  lng: initialLanguage(),
  fallbackLng: 'en',
  defaultNS: 'common',
  ns: Object.keys(NAMESPACES),
  interpolation: { escapeValue: false },
  returnNull: false,
});
document.documentElement.lang = i18n.language;

/** Switches the console's language (kept for the next visit) and the page's `lang`. */
export function setLanguage(language: Language): void {
  localStorage.setItem(LANGUAGE_ITEM, language);
  void i18n.changeLanguage(language);
  document.documentElement.lang = language;
}

/** The BCP 47 locale numbers and dates are shown in: nl-NL or en-GB. */
export function locale(): string {
  return i18n.language === 'nl' ? 'nl-NL' : 'en-GB';
}

export default i18n;
