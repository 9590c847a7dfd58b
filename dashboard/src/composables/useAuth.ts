import { useRouter } from 'vue-router';
import { api, ApiError, unwrap } from '../api/client';
import { signedIn, signedOut } from '../api/session';
import { useSessionStore } from '../stores/session';

export function useAuth() {
  const store = useSessionStore();
  const router = useRouter();

  async function signIn(email: string, password: string): Promise<void> {
    const answer = await unwrap(api().POST('/auth/login', { body: { email, password } }));
    await signedIn(answer);
    await store.load(true);
  }

  async function signUp(email: string, password: string): Promise<void> {
    await unwrap(api().POST('/auth/register', { body: { email, password } }));
  }

  async function verifyEmail(token: string): Promise<void> {
    await unwrap(api().POST('/auth/verify-email', { body: { token } }));
  }

  async function resendVerification(email: string): Promise<void> {
    await unwrap(api().POST('/auth/verify-email/resend', { body: { email } }));
  }

  async function forgotPassword(email: string): Promise<void> {
    await unwrap(api().POST('/auth/password/forgot', { body: { email } }));
  }

  async function resetPassword(token: string, password: string): Promise<void> {
    await unwrap(api().POST('/auth/password/reset', { body: { token, password } }));
  }

  /** Ends this device's session (its refresh-token family); the others stay signed in. */
  async function signOut(): Promise<void> {
    try {
      await unwrap(api().POST('/auth/logout'));
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
    } finally {
      await signedOut();
      store.clear();
      await router.replace({ name: 'sign-in' });
    }
  }

  /** Ends every session of the account, this device's included (each must sign in again). */
  async function signOutEverywhere(): Promise<void> {
    try {
      await unwrap(api().POST('/auth/logout/everywhere'));
    } finally {
      await signedOut();
      store.clear();
      await router.replace({ name: 'sign-in' });
    }
  }

  return { profile: store.profile, signIn, signUp, verifyEmail, resendVerification, forgotPassword, resetPassword, signOut, signOutEverywhere };
}
