// The only Vinted endpoints the extension will ever call, with their methods and query keys.
// Anything else is refused before a request is built.

const RULES = [
  { method: 'GET', path: /^\/api\/v2\/users\/current$/, query: [] },
  { method: 'POST', path: /^\/api\/v2\/photos$/, query: [] },
  { method: 'POST', path: /^\/api\/v2\/item_upload\/items$/, query: [] },
  { method: 'GET', path: /^\/api\/v2\/item_upload\/items\/\d{1,15}$/, query: [] },
  { method: 'PUT', path: /^\/api\/v2\/item_upload\/items\/\d{1,15}$/, query: [] },
  { method: 'POST', path: /^\/api\/v2\/items\/\d{1,15}\/delete$/, query: [] },
  { method: 'PUT', path: /^\/api\/v2\/items\/\d{1,15}\/is_hidden$/, query: [] },
  { method: 'GET', path: /^\/api\/v2\/wardrobe\/\d{1,15}\/items$/, query: ['page', 'per_page', 'order'] },
  { method: 'GET', path: /^\/api\/v2\/my_orders$/, query: ['type', 'status', 'page', 'per_page'] },
  { method: 'GET', path: /^\/api\/v2\/conversations$/, query: ['page', 'per_page'] },
  { method: 'GET', path: /^\/api\/v2\/conversations\/\d{1,15}$/, query: [] },
  { method: 'POST', path: /^\/api\/v2\/conversations\/\d{1,15}\/replies$/, query: [] },
];

// Vinted's own sites; the page we run in must be one of them.
export const VINTED_HOSTS = Object.freeze([
  'www.vinted.fr', 'www.vinted.be', 'www.vinted.de', 'www.vinted.es', 'www.vinted.it', 'www.vinted.nl',
  'www.vinted.pl', 'www.vinted.pt', 'www.vinted.at', 'www.vinted.lu', 'www.vinted.co.uk', 'www.vinted.com',
]);
export const VINTED_TAB_PATTERNS = Object.freeze(VINTED_HOSTS.map((h) => `https://${h}/*`));

export class EndpointRefused extends Error {
  constructor(message) {
    super(message);
    this.name = 'EndpointRefused';
  }
}

export function checkEndpoint(method, path, query = {}) {
  if (typeof path !== 'string' || path.length > 200) throw new EndpointRefused('bad path');
  const rule = RULES.find((r) => r.method === method && r.path.test(path));
  if (!rule) throw new EndpointRefused(`endpoint not allowed: ${method} ${path}`);
  for (const [key, value] of Object.entries(query)) {
    if (!rule.query.includes(key)) throw new EndpointRefused(`query parameter not allowed: ${key}`);
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(String(value))) throw new EndpointRefused(`bad query value for ${key}`);
  }
  return rule;
}

export function isVintedHost(host) {
  return VINTED_HOSTS.includes(host);
}
