// Who is signed in: shared by the navigation, the account page and the guards.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';

export type Profile = components['schemas']['ProfileOut'];

export const useSessionStore = defineStore('session', () => {
  const profile = ref<Profile | null>(null);
  let loading: Promise<Profile> | null = null;

  function load(force = false): Promise<Profile> {
    if (profile.value && !force) return Promise.resolve(profile.value);
    loading ??= unwrap(api().GET('/auth/me'))
      .then((me) => (profile.value = me))
      .finally(() => (loading = null));
    return loading;
  }

  function clear(): void {
    profile.value = null;
  }

  return { profile, load, clear };
});
