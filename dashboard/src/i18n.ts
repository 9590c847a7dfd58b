import { createI18n } from 'vue-i18n';
import en from './locales/en.json';
import fr from './locales/fr.json';

export type MessageSchema = typeof en;

function preferred(): 'fr' | 'en' {
  const saved = globalThis.localStorage?.getItem('stoflow.locale');
  if (saved === 'fr' || saved === 'en') return saved;
  return globalThis.navigator?.language?.startsWith('fr') ? 'fr' : 'en';
}

export const i18n = createI18n<[MessageSchema], 'fr' | 'en'>({
  legacy: false,
  locale: preferred(),
  fallbackLocale: 'en',
  messages: { en, fr },
  numberFormats: {
    en: { currency: { style: 'currency', currency: 'EUR' } },
    fr: { currency: { style: 'currency', currency: 'EUR' } },
  },
});

export function setLocale(locale: 'fr' | 'en'): void {
  (i18n.global.locale as unknown as { value: string }).value = locale;
  globalThis.localStorage?.setItem('stoflow.locale', locale);
  document.documentElement.lang = locale;
}
