// Photos: straight to S3 with the presigned POST (POST .../images/uploads), with progress, then
// POST .../complete; reorder (PUT .../images/order) and the label flag (PATCH).
import { ref } from 'vue';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';

export type Image = components['schemas']['ImageOut'];

export interface Upload {
  key: string;
  name: string;
  progress: number;
  error: string | null;
}

/** HEIC/HEIF from phones are accepted too: the server converts them. */
export const ACCEPTED = ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif'];

export function contentType(file: File): string {
  if (file.type) return file.type;
  const ext = file.name.split('.').pop()?.toLowerCase();
  return ext === 'heic' || ext === 'heif' ? `image/${ext}` : 'application/octet-stream';
}

/** multipart POST to S3 with progress (fetch has no upload progress; XMLHttpRequest does). */
export function postToS3(url: string, fields: Record<string, string>, file: File, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [key, value] of Object.entries(fields)) form.append(key, value);
    form.append('file', file);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`S3 refused the upload (HTTP ${xhr.status})`)));
    xhr.onerror = () => reject(new Error('network error during the upload'));
    xhr.send(form);
  });
}

export function useImages(productId: () => number) {
  const images = ref<Image[]>([]);
  const uploads = ref<Upload[]>([]);

  async function reload(): Promise<void> {
    const page = await unwrap(api().GET('/products/{product_id}/images', { params: { path: { product_id: productId() } } }));
    images.value = [...page.items].sort((a, b) => a.order - b.order);
  }

  async function uploadOne(file: File): Promise<void> {
    const entry: Upload = { key: `${file.name}-${Date.now()}-${Math.random()}`, name: file.name, progress: 0, error: null };
    uploads.value = [...uploads.value, entry];
    const live = () => uploads.value.find((u) => u.key === entry.key);
    try {
      const ticket = await unwrap(
        api().POST('/products/{product_id}/images/uploads', {
          params: { path: { product_id: productId() } },
          body: { content_type: contentType(file), size: file.size },
        }),
      );
      await postToS3(ticket.upload.url, ticket.upload.fields as Record<string, string>, file, (f) => {
        const u = live();
        if (u) u.progress = Math.round(f * 100);
      });
      const done = await unwrap(
        api().POST('/products/{product_id}/images/{image_id}/complete', {
          params: { path: { product_id: productId(), image_id: ticket.image_id } },
        }),
      );
      images.value = [...images.value, done].sort((a, b) => a.order - b.order);
      uploads.value = uploads.value.filter((u) => u.key !== entry.key);
    } catch (error) {
      const u = live();
      if (u) u.error = error instanceof Error ? error.message : String(error);
    }
  }

  async function upload(files: FileList | File[]): Promise<void> {
    await Promise.all([...files].map((file) => uploadOne(file)));
  }

  async function reorder(ids: number[]): Promise<void> {
    const previous = images.value;
    images.value = ids.map((id) => previous.find((i) => i.id === id)).filter((i): i is Image => Boolean(i));
    try {
      const page = await unwrap(
        api().PUT('/products/{product_id}/images/order', { params: { path: { product_id: productId() } }, body: { image_ids: ids } }),
      );
      images.value = [...page.items].sort((a, b) => a.order - b.order);
    } catch (error) {
      images.value = previous;
      throw error;
    }
  }

  async function setLabel(image: Image, isLabel: boolean): Promise<void> {
    await unwrap(
      api().PATCH('/products/{product_id}/images/{image_id}', {
        params: { path: { product_id: productId(), image_id: image.id } },
        body: { is_label: isLabel },
      }),
    );
    await reload();
  }

  async function remove(image: Image): Promise<void> {
    await unwrap(api().DELETE('/products/{product_id}/images/{image_id}', { params: { path: { product_id: productId(), image_id: image.id } } }));
    images.value = images.value.filter((i) => i.id !== image.id);
  }

  return { images, uploads, reload, upload, reorder, setLabel, remove };
}
