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

const REASONS = {
  datadome: "Vinted's security check (DataDome)",
  captcha: 'a captcha',
  forbidden: 'a refusal from Vinted (403)',
  rate_limited: 'Vinted asking to slow down (429)',
};

// The pause in plain words: why, until when, and what the seller does about it.
export function describePause(pausedUntil, now, { reason = null, resumeRequired = false } = {}) {
  const running = pausedUntil && pausedUntil > now;
  if (!running && !resumeRequired) return null;
  const why = REASONS[reason] ?? 'a sign of trouble from Vinted';
  if (running) {
    const minutes = Math.ceil((pausedUntil - now) / 60_000);
    return `Vinted work is paused after ${why}: about ${minutes} min left. Then confirm in the StoFlow dashboard that Vinted works for you.`;
  }
  return `Vinted work is paused after ${why}. Check that Vinted works for you, then press "Resume" in the StoFlow dashboard.`;
}

const COMMAND_WORDS = {
  'vinted.publish': 'Publishing an item',
  'vinted.update': 'Updating an item',
  'vinted.delete': 'Deleting an item',
  'vinted.hide': 'Hiding or showing an item',
  'vinted.send_message': 'Sending a message',
  'vinted.fetch_wardrobe': 'Reading your wardrobe',
  'vinted.fetch_orders': 'Checking your sales',
  'vinted.fetch_conversations': 'Reading your messages',
  'vinted.get_item': 'Looking up an item',
};

// The command running now (null: none).
export function describeRunning(running) {
  if (!running) return null;
  return `${COMMAND_WORDS[running.command] ?? running.command} (job ${running.job_id})`;
}

// This browser's own count of Vinted writes against its caps, and when the next write may go.
export function describeUsage(usage, now) {
  if (!usage) return null;
  const next = usage.nextWriteAt > now ? ` Next write in about ${Math.ceil((usage.nextWriteAt - now) / 1000)} s.` : '';
  return `Writes: ${usage.writesThisHour}/${usage.writesPerHour} this hour, ${usage.writesToday}/${usage.writesPerDay} today.${next}`;
}
