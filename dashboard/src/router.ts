import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { tokens } from './api/session';

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean;
    title?: string;
  }
}

// Each page is its own chunk: the sign-in page does not load the products table.
const routes: RouteRecordRaw[] = [
  { path: '/', redirect: { name: 'products' } },
  { path: '/sign-in', name: 'sign-in', component: () => import('./pages/SignInPage.vue'), meta: { public: true, title: 'nav.signIn' } },
  { path: '/sign-up', name: 'sign-up', component: () => import('./pages/SignUpPage.vue'), meta: { public: true, title: 'nav.signUp' } },
  { path: '/verify-email', name: 'verify-email', component: () => import('./pages/VerifyEmailPage.vue'), meta: { public: true, title: 'auth.verifyTitle' } },
  { path: '/forgot-password', name: 'forgot-password', component: () => import('./pages/ForgotPasswordPage.vue'), meta: { public: true, title: 'auth.forgotTitle' } },
  { path: '/reset-password', name: 'reset-password', component: () => import('./pages/ResetPasswordPage.vue'), meta: { public: true, title: 'auth.resetTitle' } },
  { path: '/products', name: 'products', component: () => import('./pages/ProductsPage.vue'), meta: { title: 'nav.products' } },
  { path: '/products/new', name: 'product-new', component: () => import('./pages/ProductPage.vue'), meta: { title: 'product.new' } },
  { path: '/products/:id(\\d+)', name: 'product', component: () => import('./pages/ProductPage.vue'), props: true, meta: { title: 'product.edit' } },
  { path: '/activity', name: 'activity', component: () => import('./pages/ActivityPage.vue'), meta: { title: 'nav.activity' } },
  { path: '/marketplaces', name: 'marketplaces', component: () => import('./pages/MarketplacesPage.vue'), meta: { title: 'nav.marketplaces' } },
  {
    path: '/marketplaces/:marketplace(ebay|etsy)/callback',
    name: 'marketplace-callback',
    component: () => import('./pages/MarketplaceCallbackPage.vue'),
    props: true,
    meta: { title: 'nav.marketplaces' },
  },
  { path: '/orders', name: 'orders', component: () => import('./pages/OrdersPage.vue'), meta: { title: 'nav.orders' } },
  { path: '/messages', name: 'messages', component: () => import('./pages/MessagesPage.vue'), meta: { title: 'nav.messages' } },
  { path: '/account', name: 'account', component: () => import('./pages/AccountPage.vue'), meta: { title: 'nav.account' } },
  { path: '/:rest(.*)*', name: 'not-found', component: () => import('./pages/NotFoundPage.vue'), meta: { public: true } },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach((to) => {
  if (!to.meta.public && !tokens()) return { name: 'sign-in', query: { next: to.fullPath } };
  return true;
});
