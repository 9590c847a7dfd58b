// An API error in plain words: the problem's detail, or a sentence for a known code.
import { useI18n } from 'vue-i18n';
import { ApiError } from '../api/client';

export function useErrorText() {
  const { t, te } = useI18n();
  return (error: unknown): string => {
    if (error instanceof ApiError) {
      const key = `errors.${error.code}`;
      if (te(key)) return t(key);
      return error.detail ?? error.title ?? t('errors.generic');
    }
    if (error instanceof Error) return error.message;
    return t('errors.generic');
  };
}
