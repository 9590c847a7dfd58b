// The WebSocket protocol as the extension speaks it (docs/jobs-and-websocket.md, "The WebSocket protocol").
// Client -> server messages carry `action` (API Gateway routes on $request.body.action);
// server -> client messages carry `type`. Everything received is validated before use.
import { arr, bool, int, num, obj, str, url, validate, ValidationError } from './validate.js';

export const PROTOCOL_VERSION = 1;
export const CLIENT = 'extension';
// API Gateway refuses WebSocket frames over 128 KB: we keep ours well below.
export const MAX_MESSAGE_BYTES = 96 * 1024;

export const COMMANDS = Object.freeze([
  'vinted.publish',
  'vinted.update',
  'vinted.delete',
  'vinted.hide',
  'vinted.fetch_wardrobe',
  'vinted.fetch_orders',
  'vinted.fetch_conversations',
  'vinted.send_message',
  'vinted.get_item',
]);
// Commands that change something on Vinted: a lost answer is reported as unknown_outcome.
export const WRITE_COMMANDS = Object.freeze(['vinted.publish', 'vinted.update', 'vinted.delete', 'vinted.hide', 'vinted.send_message']);

const id = () => int({ min: 1 });
const optId = () => ({ ...int({ min: 1 }), nullable: true });

// The item as the backend's converter produces it (ids are Vinted catalogue ids).
export const ITEM = obj(
  {
    title: str({ min: 5, max: 100 }),
    description: str({ min: 5, max: 5000 }),
    price: num({ min: 0.01, max: 100000 }),
    currency: str({ pattern: /^[A-Z]{3}$/ }),
    catalog_id: id(),
    status_id: id(),
    brand_id: optId(),
    brand: { ...str({ max: 100 }), nullable: true },
    size_id: optId(),
    color_ids: arr(id(), { max: 2 }),
    material_ids: arr(id(), { max: 3 }),
    package_size_id: optId(),
    is_unisex: bool(),
    measurement_length: optId(),
    measurement_width: optId(),
  },
  ['title', 'description', 'price', 'currency', 'catalog_id', 'status_id'],
);

export const PHOTO = obj({ url: url(), image_id: id() }, ['url', 'image_id']);
const paging = { per_page: int({ min: 1, max: 96 }), max_pages: int({ min: 1, max: 200 }) };

export const REQUESTS = Object.freeze({
  'vinted.publish': obj({ product_id: id(), item: ITEM, photos: arr(PHOTO, { min: 1, max: 20 }) }, ['product_id', 'item', 'photos']),
  'vinted.update': obj(
    { product_id: id(), item_id: id(), item: ITEM, photos: arr(PHOTO, { min: 1, max: 20 }) },
    ['item_id', 'item'],
  ),
  'vinted.delete': obj({ product_id: id(), item_id: id() }, ['item_id']),
  // Hidden from buyers (a sale elsewhere, until it is final) or shown again (the sale undone).
  'vinted.hide': obj({ product_id: id(), item_id: id(), hidden: bool() }, ['item_id', 'hidden']),
  'vinted.fetch_wardrobe': obj({ user_id: id(), ...paging }),
  'vinted.fetch_orders': obj({
    type: str({ enum: ['sold', 'purchased'] }),
    status: str({ enum: ['all', 'in_progress', 'completed', 'canceled'] }),
    ...paging,
  }),
  'vinted.fetch_conversations': obj({ conversation_id: id(), ...paging }),
  'vinted.send_message': obj({ conversation_id: id(), body: str({ min: 1, max: 2000 }) }, ['conversation_id', 'body']),
  'vinted.get_item': obj({ item_id: id() }, ['item_id']),
});

// The server's pacing plan for the account (pacing.js keeps the slower of it and its floors).
export const PACING_PLAN = obj({
  write_gap_min_s: num({ min: 0, max: 86400 }),
  write_gap_max_s: num({ min: 0, max: 86400 }),
  writes_per_hour: int({ min: 1, max: 1000 }),
  writes_per_day: int({ min: 1, max: 100000 }),
  pause_base_s: num({ min: 0, max: 7 * 86400 }),
  pause_max_s: num({ min: 0, max: 7 * 86400 }),
  time_scale: num({ min: 0, max: 1 }),
});

// execute_job without its request (checked against the command's own schema).
const EXECUTE_JOB_HEAD = obj(
  {
    type: str({ enum: ['execute_job'] }),
    job_id: id(),
    attempt: int({ min: 1, max: 100 }),
    command: str({ enum: COMMANDS }),
    deadline: str({ max: 40, pattern: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/ }),
    pacing: PACING_PLAN,
  },
  ['type', 'job_id', 'attempt', 'command', 'deadline'],
);

// Parse one frame from the server. Returns {type, ...} or throws ValidationError.
export function parseServerMessage(text) {
  if (typeof text !== 'string' || text.length > 256 * 1024) throw new ValidationError('message', 'not a text frame');
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ValidationError('message', 'not JSON');
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new ValidationError('message', 'not an object');
  switch (data.type) {
    case 'execute_job': {
      const { request, ...rest } = data;
      const head = validate(EXECUTE_JOB_HEAD, rest);
      const deadlineMs = Date.parse(head.deadline);
      if (!Number.isFinite(deadlineMs)) throw new ValidationError('deadline', 'not a date');
      let req;
      try {
        req = validate(REQUESTS[head.command], request, 'request');
      } catch (err) {
        // The job is identified: the executor answers it with invalid_request.
        err.jobId = head.job_id;
        err.attempt = head.attempt;
        throw err;
      }
      return { ...head, deadlineMs, request: req };
    }
    case 'welcome':
    case 'heartbeat_ack':
    case 'error':
    case 'job_status':
      // Informational: only known, flat fields are kept.
      return {
        type: data.type,
        code: typeof data.code === 'string' ? data.code.slice(0, 64) : undefined,
        message: typeof data.message === 'string' ? data.message.slice(0, 500) : undefined,
      };
    default:
      throw new ValidationError('type', 'unknown message type');
  }
}

export function hello(version) {
  // Exactly the fields the server's Hello accepts (it refuses unknown ones).
  return { action: 'hello', client: CLIENT, version, capabilities: [...COMMANDS] };
}
export const heartbeat = () => ({ action: 'heartbeat' });
export function jobResultOk(jobId, attempt, data) {
  return { action: 'job_result', job_id: jobId, attempt, ok: true, data };
}
export function jobResultError(jobId, attempt, code, message, retryAfterS) {
  const error = { code, message: String(message).slice(0, 500) };
  if (retryAfterS !== undefined && retryAfterS !== null) error.retry_after = Math.max(0, Math.ceil(retryAfterS));
  return { action: 'job_result', job_id: jobId, attempt, ok: false, error };
}
export function jobProgress(jobId, attempt, seq, fields) {
  return { action: 'job_progress', job_id: jobId, attempt, seq, ...fields };
}
export function sessionUpdate(loggedIn, vintedUserId, domain) {
  return { action: 'vinted_session_update', logged_in: loggedIn, vinted_user_id: vintedUserId ?? null, domain };
}
export function datadomeDetected(domain, url_) {
  return { action: 'datadome_detected', domain, url: url_ };
}

export function byteLength(value) {
  return new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value)).length;
}
