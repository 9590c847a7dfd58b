// A small strict validator: every field declared, no extra keys, types and bounds checked.
// What the backend sends is data to check, never code to run.

export class ValidationError extends Error {
  constructor(path, message) {
    super(`${path || 'value'}: ${message}`);
    this.name = 'ValidationError';
    this.path = path;
  }
}

const isPlainObject = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function checkUrl(spec, value, path) {
  if (typeof value !== 'string' || value.length > (spec.max ?? 4096)) {
    throw new ValidationError(path, 'expected a URL string');
  }
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new ValidationError(path, 'not a URL');
  }
  const secure = spec.schemes ?? ['https:'];
  const plainOnLoopback = secure.map((s) => ({ 'https:': 'http:', 'wss:': 'ws:' })[s]);
  const ok = secure.includes(url.protocol) || (plainOnLoopback.includes(url.protocol) && LOOPBACK.has(url.hostname));
  if (!ok) throw new ValidationError(path, `only ${secure.join(' ')} URLs are accepted`);
  if (url.username || url.password) throw new ValidationError(path, 'credentials in URL');
  return value;
}

export function validate(spec, value, path = '') {
  if (value === undefined || value === null) {
    if (spec.nullable && value === null) return value;
    throw new ValidationError(path, 'missing');
  }
  switch (spec.type) {
    case 'string': {
      if (typeof value !== 'string') throw new ValidationError(path, 'expected a string');
      if (value.length < (spec.min ?? 0)) throw new ValidationError(path, 'too short');
      if (value.length > (spec.max ?? 10000)) throw new ValidationError(path, 'too long');
      if (spec.pattern && !spec.pattern.test(value)) throw new ValidationError(path, 'bad format');
      if (spec.enum && !spec.enum.includes(value)) throw new ValidationError(path, `not one of ${spec.enum.join(', ')}`);
      return value;
    }
    case 'integer': {
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new ValidationError(path, 'expected an integer');
      if (value < (spec.min ?? Number.MIN_SAFE_INTEGER) || value > (spec.max ?? Number.MAX_SAFE_INTEGER)) {
        throw new ValidationError(path, 'out of range');
      }
      return value;
    }
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new ValidationError(path, 'expected a number');
      if (value < (spec.min ?? -Infinity) || value > (spec.max ?? Infinity)) throw new ValidationError(path, 'out of range');
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw new ValidationError(path, 'expected a boolean');
      return value;
    case 'url':
      return checkUrl(spec, value, path);
    case 'array': {
      if (!Array.isArray(value)) throw new ValidationError(path, 'expected an array');
      if (value.length < (spec.min ?? 0) || value.length > (spec.max ?? 1000)) throw new ValidationError(path, 'bad length');
      return value.map((item, i) => validate(spec.items, item, `${path}[${i}]`));
    }
    case 'object': {
      if (!isPlainObject(value)) throw new ValidationError(path, 'expected an object');
      const out = {};
      for (const key of spec.open ? [] : Object.keys(value)) {
        if (!Object.hasOwn(spec.props, key)) throw new ValidationError(path ? `${path}.${key}` : key, 'unexpected field');
      }
      for (const [key, sub] of Object.entries(spec.props)) {
        const p = path ? `${path}.${key}` : key;
        if (!Object.hasOwn(value, key) || value[key] === undefined) {
          if ((spec.required ?? []).includes(key)) throw new ValidationError(p, 'missing');
          continue;
        }
        out[key] = validate(sub, value[key], p);
      }
      return out;
    }
    default:
      throw new ValidationError(path, `unknown spec type ${spec.type}`);
  }
}

// Shorthands for schemas. `open: true` on an object drops unknown keys instead of refusing them
// (only for answers from our own backend; commands from it stay closed).
export const str = (opts = {}) => ({ type: 'string', ...opts });
export const int = (opts = {}) => ({ type: 'integer', ...opts });
export const num = (opts = {}) => ({ type: 'number', ...opts });
export const bool = () => ({ type: 'boolean' });
export const url = (opts = {}) => ({ type: 'url', ...opts });
export const arr = (items, opts = {}) => ({ type: 'array', items, ...opts });
export const obj = (props, required = [], opts = {}) => ({ type: 'object', props, required, ...opts });
