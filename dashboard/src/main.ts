import Aura from '@primeuix/themes/aura';
import { createPinia } from 'pinia';
import PrimeVue from 'primevue/config';
import { createApp } from 'vue';
import App from './App.vue';
import { whenSessionEnds } from './api/client';
import { loadConfig } from './config';
import { i18n } from './i18n';
import { router } from './router';
import './styles.css';

async function start(): Promise<void> {
  await loadConfig();
  const app = createApp(App);
  app.use(createPinia());
  app.use(router);
  app.use(i18n);
  app.use(PrimeVue, { theme: { preset: Aura, options: { darkModeSelector: 'none' } } });
  whenSessionEnds(() => {
    const here = router.currentRoute.value;
    if (!here.meta.public) void router.replace({ name: 'sign-in', query: { next: here.fullPath, ended: '1' } });
  });
  document.documentElement.lang = (i18n.global.locale as unknown as { value: string }).value;
  app.mount('#app');
}

void start();
