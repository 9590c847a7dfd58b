// Alerts pushed over the WebSocket (`alert` events): a counter the pages that list alerts watch
// to read them again, and the latest ones for a page that just wants to show them.
import { defineStore } from 'pinia';
import { ref } from 'vue';

export interface AlertEvent {
  id: number;
  kind: string;
  message: string;
  product_id?: number | null;
  sale_id?: number | null;
}

export const useAlertsStore = defineStore('alerts', () => {
  const revision = ref(0);
  const pushed = ref<AlertEvent[]>([]);

  function receive(event: AlertEvent): void {
    pushed.value = [event, ...pushed.value.filter((a) => a.id !== event.id)].slice(0, 20);
    revision.value += 1;
  }

  return { revision, pushed, receive };
});
