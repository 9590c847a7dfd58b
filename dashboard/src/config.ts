// The deployment's URLs, read once from /config.json (written at deploy, served by `make run`),
// so one build serves every stage.
export interface AppConfig {
  apiUrl: string;
  wsUrl: string;
}

let loaded: AppConfig | null = null;

export async function loadConfig(fetchImpl: typeof fetch = fetch): Promise<AppConfig> {
  const response = await fetchImpl('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const body = (await response.json()) as Partial<AppConfig>;
  if (typeof body.apiUrl !== 'string' || typeof body.wsUrl !== 'string') throw new Error('config.json: apiUrl and wsUrl are required');
  loaded = { apiUrl: body.apiUrl.replace(/\/$/, ''), wsUrl: body.wsUrl.replace(/\/$/, '') };
  return loaded;
}

export function config(): AppConfig {
  if (!loaded) throw new Error('config.json not loaded yet');
  return loaded;
}

export function setConfig(value: AppConfig): void {
  loaded = value;
}
