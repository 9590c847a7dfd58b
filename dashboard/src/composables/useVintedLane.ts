// The seller's Vinted lane (GET /vinted/lane) and the resume after a pause (POST
// /vinted/lane/resume), refreshed while the page shows it and when a Vinted job changes.
import { onBeforeUnmount, onMounted, ref, watch } from 'vue';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useJobsStore } from '../stores/jobs';

export type Lane = components['schemas']['LaneOut'];

export type LaneTone = 'ok' | 'warn' | 'bad';

/** One line on the lane's state, as an i18n key and its tone (pure: tested without a DOM). */
export function laneHeadline(lane: Lane, now: Date): { key: string; tone: LaneTone } {
  if (lane.paused) {
    const running = lane.paused_until !== null && new Date(lane.paused_until) > now;
    return { key: running ? 'lane.pausedUntil' : 'lane.pausedAwaitingYou', tone: 'bad' };
  }
  if (lane.logged_in === false) return { key: 'lane.loggedOut', tone: 'bad' };
  // Without work waiting, a closed browser is nothing to worry about.
  if (!lane.extension_online && lane.queued > 0) return { key: 'lane.extensionOffline', tone: 'warn' };
  if (lane.in_flight) return { key: 'lane.running', tone: 'ok' };
  if (lane.queued > 0) return { key: 'lane.waitingTurn', tone: 'warn' };
  return { key: 'lane.idle', tone: 'ok' };
}

export function useVintedLane(refreshMs = 30_000) {
  const lane = ref<Lane | null>(null);
  const error = ref<unknown>(null);
  const busy = ref(false);
  const jobs = useJobsStore();
  let timer: ReturnType<typeof setInterval> | undefined;

  async function load(): Promise<void> {
    try {
      lane.value = await unwrap(api().GET('/vinted/lane'));
      error.value = null;
    } catch (caught) {
      error.value = caught;
    }
  }

  async function resume(): Promise<void> {
    busy.value = true;
    try {
      lane.value = await unwrap(api().POST('/vinted/lane/resume'));
      error.value = null;
    } catch (caught) {
      error.value = caught;
    } finally {
      busy.value = false;
    }
  }

  onMounted(() => {
    void load();
    timer = setInterval(() => void load(), refreshMs);
  });
  onBeforeUnmount(() => clearInterval(timer));
  watch(
    () => jobs.latest.filter((j) => j.marketplace === 'vinted').map((j) => `${j.job_id}:${j.status}`).join(','),
    (now, before) => {
      if (now !== before) void load();
    },
  );

  return { lane, error, busy, load, resume };
}
