// Words for the popup (pure functions, tested without a browser).
export function describeBackend(status, paired) {
  if (!paired) return { text: 'Not paired: enter the code from the dashboard', tone: 'bad' };
  switch (status?.backend) {
    case 'connected':
      return { text: 'Connected', tone: 'ok' };
    case 'connecting':
      return { text: 'Connecting…', tone: 'wait' };
    case 'unpaired':
      return { text: `Not paired${status.detail ? `: ${status.detail}` : ''}`, tone: 'bad' };
    case 'disconnected':
      return { text: `Disconnected, retrying${status.detail ? ` (${status.detail})` : ''}`, tone: 'wait' };
    default:
      return { text: 'Idle', tone: 'wait' };
  }
}

export function describeVinted(vinted) {
  if (!vinted) return { text: 'Not checked yet (open a Vinted tab)', tone: 'wait' };
  if (vinted.logged_in === true) return { text: `Logged in${vinted.login ? ` as ${vinted.login}` : ''} on ${vinted.domain}`, tone: 'ok' };
  if (vinted.logged_in === false) return { text: `Logged out on ${vinted.domain}: log in to Vinted`, tone: 'bad' };
  return { text: `Unknown: ${vinted.detail ?? 'open a Vinted tab'}`, tone: 'wait' };
}

export function describePause(pausedUntil, now) {
  if (!pausedUntil || pausedUntil <= now) return null;
  const minutes = Math.ceil((pausedUntil - now) / 60_000);
  return `Vinted asked us to slow down: paused for about ${minutes} min.`;
}
