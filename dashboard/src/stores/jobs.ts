// Live job status from the WebSocket (`job_status` events), shared by the activity page and the
// product pages: the latest event per job, newest first.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';

export interface JobStatusEvent {
  job_id: number;
  batch_id?: number | null;
  product_id?: number | null;
  marketplace?: string;
  action?: string;
  status: string;
  error_code?: string | null;
  error_message?: string | null;
  progress?: number | null;
}

export const useJobsStore = defineStore('jobs', () => {
  const byId = ref(new Map<number, JobStatusEvent>());
  const revision = ref(0);

  function receive(event: JobStatusEvent): void {
    byId.value.set(event.job_id, { ...byId.value.get(event.job_id), ...event });
    revision.value += 1;
  }

  const latest = computed(() => {
    void revision.value;
    return [...byId.value.values()].sort((a, b) => b.job_id - a.job_id);
  });

  return { byId, revision, latest, receive };
});
