// Runs inside the Vinted page (chrome.scripting.executeScript, world MAIN), so Vinted sees its
// own page calling its own API with the session cookies. It must stay self-contained: Chrome
// serialises the function, nothing from this module's scope goes with it. Its argument is plain
// data already checked against the allowlist by the service worker.
export async function vintedPageCall(req) {
  const readCsrf = () => {
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.getAttribute('content')) return meta.getAttribute('content');
    for (const script of document.querySelectorAll('script')) {
      const m = /CSRF_TOKEN\\?"\s*:\s*\\?"([A-Za-z0-9_\-=+/]{8,200})\\?"/.exec(script.textContent || '');
      if (m) return m[1];
    }
    return null;
  };
  const readCookie = (name) => {
    const m = new RegExp(`(?:^|;\\s*)${name}=([^;]*)`).exec(document.cookie || '');
    return m ? decodeURIComponent(m[1]) : null;
  };
  const csrf = readCsrf();
  const anonId = readCookie('anon_id');
  const headers = { accept: 'application/json, text/plain, */*' };
  if (csrf) headers['x-csrf-token'] = csrf;
  if (anonId) headers['x-anon-id'] = anonId;
  let body;
  if (req.multipart) {
    body = new FormData();
    for (const field of req.multipart) {
      if (field.base64 !== undefined) {
        const raw = atob(field.base64);
        const bytes = new Uint8Array(raw.length);
        for (let i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
        body.append(field.name, new Blob([bytes], { type: field.type }), field.filename);
      } else {
        body.append(field.name, field.value);
      }
    }
  } else if (req.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(req.json);
  }
  const qs = new URLSearchParams(req.query || {}).toString();
  const target = `${location.origin}${req.path}${qs ? `?${qs}` : ''}`;
  let res;
  try {
    res = await fetch(target, { method: req.method, headers, body, credentials: 'include', redirect: 'manual' });
  } catch (err) {
    return { networkError: String(err && err.message ? err.message : err).slice(0, 300), csrf: Boolean(csrf) };
  }
  const contentType = res.headers.get('content-type') || '';
  let text = '';
  try {
    text = await res.text();
  } catch (err) {
    return { networkError: `body lost: ${String(err).slice(0, 200)}`, status: res.status, csrf: Boolean(csrf) };
  }
  let json = null;
  if (contentType.includes('json')) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  return {
    status: res.status,
    contentType,
    retryAfter: res.headers.get('retry-after'),
    datadomeHeader: Boolean(res.headers.get('x-dd-b') || res.headers.get('x-datadome')),
    json,
    text: json === null ? text.slice(0, 4000) : null,
    csrf: Boolean(csrf),
    host: location.host,
  };
}
