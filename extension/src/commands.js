// One function per protocol command. Each gets a validated request and returns the result data
// (small); big lists go out page by page through ctx.progress. Vinted is only reached through
// ctx.vinted (allowlisted, paced, page context).
import { fetchPhoto as defaultFetchPhoto, VintedError } from './vinted.js';

const str = (v, max = 300) => (typeof v === 'string' ? v.slice(0, max) : null);
const intOrNull = (v) => (Number.isSafeInteger(v) ? v : null);
const priceOf = (p) => {
  if (p && typeof p === 'object') return str(String(p.amount ?? ''), 20);
  if (typeof p === 'number' || typeof p === 'string') return str(String(p), 20);
  return null;
};

function itemPayload(item, tempUuid, photoIds) {
  return {
    item: {
      id: null,
      currency: item.currency,
      temp_uuid: tempUuid,
      title: item.title,
      description: item.description,
      brand_id: item.brand_id ?? null,
      brand: item.brand ?? null,
      size_id: item.size_id ?? null,
      catalog_id: item.catalog_id,
      isbn: null,
      is_unisex: item.is_unisex ?? false,
      status_id: item.status_id,
      price: item.price,
      package_size_id: item.package_size_id ?? null,
      color_ids: item.color_ids ?? [],
      assigned_photos: photoIds.map((id) => ({ id, orientation: 0 })),
      measurement_length: item.measurement_length ?? null,
      measurement_width: item.measurement_width ?? null,
      item_attributes: item.material_ids?.length ? [{ code: 'material', ids: item.material_ids }] : [],
    },
    feedback_id: null,
    push_up: false,
    parcel: null,
    upload_session_id: tempUuid,
  };
}

async function uploadPhotos(ctx, photos, tempUuid) {
  const fetchPhoto = ctx.fetchPhoto ?? ((u) => defaultFetchPhoto(fetch, u));
  const ids = [];
  for (const [index, photo] of photos.entries()) {
    ctx.checkDeadline();
    const file = await fetchPhoto(photo.url);
    const ext = file.type === 'image/png' ? 'png' : file.type === 'image/webp' ? 'webp' : 'jpg';
    // A photo upload creates nothing visible: a lost answer is only a retry, never a listing.
    const body = await ctx.vinted.call('POST', '/api/v2/photos', {
      kind: 'photo',
      multipart: [
        { name: 'photo[type]', value: 'item' },
        { name: 'photo[temp_uuid]', value: tempUuid },
        { name: 'photo[file]', base64: file.base64, type: file.type, filename: `photo-${index + 1}.${ext}` },
      ],
    });
    const id = intOrNull(body?.id);
    if (!id) throw new VintedError('vinted_rejected', 'Vinted did not return a photo id');
    ids.push(id);
  }
  return ids;
}

function itemSummary(raw, host) {
  if (!raw || typeof raw !== 'object') return null;
  const photo = Array.isArray(raw.photos) && raw.photos[0] ? raw.photos[0] : raw.photo;
  return {
    id: intOrNull(raw.id),
    title: str(raw.title, 200),
    price: priceOf(raw.price),
    currency: str(raw.currency ?? raw.price?.currency_code, 3),
    brand: str(raw.brand_title ?? raw.brand, 100),
    size: str(raw.size_title ?? raw.size, 50),
    status: str(raw.status, 50),
    is_closed: Boolean(raw.is_closed),
    is_hidden: Boolean(raw.is_hidden),
    is_reserved: Boolean(raw.is_reserved),
    is_draft: Boolean(raw.is_draft),
    view_count: intOrNull(raw.view_count),
    favourite_count: intOrNull(raw.favourite_count),
    url: str(raw.url, 500) ?? (Number.isSafeInteger(raw.id) ? `https://${host}/items/${raw.id}` : null),
    photo_url: str(photo?.url ?? photo?.full_size_url, 1000),
    created_at: str(raw.created_at_ts ?? raw.created_at, 40),
  };
}

function orderSummary(raw) {
  if (!raw || typeof raw !== 'object') return null;
  return {
    transaction_id: intOrNull(raw.transaction_id ?? raw.id),
    conversation_id: intOrNull(raw.conversation_id),
    item_id: intOrNull(raw.item_id),
    title: str(raw.title, 200),
    price: priceOf(raw.price),
    status: str(raw.status, 100),
    transaction_user_status: str(raw.transaction_user_status, 50),
    date: str(raw.date ?? raw.created_at, 40),
    buyer: str(raw.user?.login ?? raw.opposite_user?.login, 100),
    photo_url: str(raw.photo?.url, 1000),
  };
}

function conversationSummary(raw) {
  if (!raw || typeof raw !== 'object') return null;
  return {
    id: intOrNull(raw.id),
    item_count: intOrNull(raw.item_count),
    unread: Boolean(raw.unread),
    is_deletion_restricted: Boolean(raw.is_deletion_restricted),
    description: str(raw.description, 500),
    updated_at: str(raw.updated_at, 40),
    opposite_user: str(raw.opposite_user?.login, 100),
    opposite_user_id: intOrNull(raw.opposite_user?.id),
  };
}

function messageSummary(raw) {
  if (!raw || typeof raw !== 'object') return null;
  return {
    id: intOrNull(raw.id ?? raw.entity?.id),
    entity_type: str(raw.entity_type, 40),
    body: str(raw.entity?.body ?? raw.body, 2000),
    user_id: intOrNull(raw.entity?.user_id ?? raw.user_id),
    created_at: str(raw.created_at_ts ?? raw.created_at, 40),
  };
}

// Walks pages of a list endpoint, sending each page's summaries as job_progress.
async function paged(ctx, path, { query = {}, listKey, summarise, perPage = 48, maxPages = 50 }) {
  let page = 1;
  let count = 0;
  let totalPages = 1;
  do {
    ctx.checkDeadline();
    const body = await ctx.vinted.call('GET', path, { query: { ...query, page: String(page), per_page: String(perPage) } });
    const items = (Array.isArray(body?.[listKey]) ? body[listKey] : []).map(summarise).filter(Boolean);
    count += items.length;
    await ctx.progress({ stage: listKey, page, items });
    const pagination = body?.pagination;
    totalPages = Number.isSafeInteger(pagination?.total_pages) ? pagination.total_pages : items.length < perPage ? page : page + 1;
    page += 1;
  } while (page <= totalPages && page <= maxPages);
  return { pages: page - 1, count, complete: page > totalPages };
}

export const COMMAND_HANDLERS = {
  async 'vinted.publish'(ctx, req) {
    const tempUuid = ctx.uuid();
    const photoIds = await uploadPhotos(ctx, req.photos, tempUuid);
    ctx.checkDeadline();
    const body = await ctx.vinted.call('POST', '/api/v2/item_upload/items', { json: itemPayload(req.item, tempUuid, photoIds) });
    const itemId = intOrNull(body?.item?.id);
    if (!itemId) throw new VintedError('unknown_outcome', 'Vinted accepted the item but returned no id');
    return { item_id: itemId, url: str(body.item.url, 500), photo_ids: photoIds, product_id: req.product_id };
  },

  async 'vinted.update'(ctx, req) {
    const tempUuid = ctx.uuid();
    let photoIds;
    if (req.photos) {
      photoIds = await uploadPhotos(ctx, req.photos, tempUuid);
    } else {
      const current = await ctx.vinted.call('GET', `/api/v2/item_upload/items/${req.item_id}`);
      const photos = Array.isArray(current?.item?.photos) ? current.item.photos : [];
      photoIds = photos.map((p) => intOrNull(p?.id)).filter(Boolean);
    }
    ctx.checkDeadline();
    const payload = itemPayload(req.item, tempUuid, photoIds);
    payload.item.id = req.item_id;
    const body = await ctx.vinted.call('PUT', `/api/v2/item_upload/items/${req.item_id}`, { json: payload });
    return { item_id: intOrNull(body?.item?.id) ?? req.item_id, photo_ids: photoIds };
  },

  async 'vinted.delete'(ctx, req) {
    try {
      await ctx.vinted.call('POST', `/api/v2/items/${req.item_id}/delete`, { json: {} });
    } catch (err) {
      // Already gone: the delete's goal holds.
      if (err.code === 'not_found') return { item_id: req.item_id, deleted: true, already_gone: true };
      throw err;
    }
    return { item_id: req.item_id, deleted: true };
  },

  // Vinted's own web client hides an item this way; a hidden item stays in the wardrobe (with its
  // favourites and views) but no buyer sees it, so a sale that falls through can show it again.
  async 'vinted.hide'(ctx, req) {
    try {
      await ctx.vinted.call('PUT', `/api/v2/items/${req.item_id}/is_hidden`, { json: { is_hidden: req.hidden } });
    } catch (err) {
      // Gone already: no buyer sees it, the goal of hiding holds (showing it again does not).
      if (err.code === 'not_found' && req.hidden) return { item_id: req.item_id, hidden: true, already_gone: true };
      throw err;
    }
    return { item_id: req.item_id, hidden: req.hidden };
  },

  async 'vinted.get_item'(ctx, req) {
    try {
      const body = await ctx.vinted.call('GET', `/api/v2/item_upload/items/${req.item_id}`);
      return { item_id: req.item_id, exists: true, item: itemSummary(body?.item, ctx.host) };
    } catch (err) {
      if (err.code === 'not_found') return { item_id: req.item_id, exists: false, item: null };
      throw err;
    }
  },

  async 'vinted.fetch_wardrobe'(ctx, req) {
    const userId = req.user_id ?? (await ctx.vinted.currentUser()).id;
    const result = await paged(ctx, `/api/v2/wardrobe/${userId}/items`, {
      query: { order: 'newest_first' },
      listKey: 'items',
      summarise: (raw) => itemSummary(raw, ctx.host),
      perPage: req.per_page,
      maxPages: req.max_pages,
    });
    return { user_id: userId, ...result };
  },

  async 'vinted.fetch_orders'(ctx, req) {
    return paged(ctx, '/api/v2/my_orders', {
      query: { type: req.type ?? 'sold', status: req.status ?? 'all' },
      listKey: 'my_orders',
      summarise: orderSummary,
      perPage: req.per_page ?? 20,
      maxPages: req.max_pages,
    });
  },

  async 'vinted.fetch_conversations'(ctx, req) {
    if (req.conversation_id) {
      const body = await ctx.vinted.call('GET', `/api/v2/conversations/${req.conversation_id}`);
      const conv = body?.conversation;
      const messages = (Array.isArray(conv?.messages) ? conv.messages : []).map(messageSummary).filter(Boolean);
      await ctx.progress({ stage: 'messages', page: 1, items: messages });
      return { conversation_id: req.conversation_id, count: messages.length, pages: 1, complete: true };
    }
    return paged(ctx, '/api/v2/conversations', {
      listKey: 'conversations',
      summarise: conversationSummary,
      perPage: req.per_page ?? 20,
      maxPages: req.max_pages,
    });
  },

  async 'vinted.send_message'(ctx, req) {
    const body = await ctx.vinted.call('POST', `/api/v2/conversations/${req.conversation_id}/replies`, {
      json: { reply: { body: req.body, photo_temp_uuids: null, is_personal_data_sharing_check_skipped: false } },
    });
    return { conversation_id: req.conversation_id, message_id: intOrNull(body?.reply?.id ?? body?.message?.id) };
  },
};
