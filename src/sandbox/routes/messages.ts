/**
 * `/messages` (3.3+): the user messages Cinder serves about asynchronous failures (here: migrations that ended in
 * error), with Cinder's shape, visibility, and from 3.5 its filters and limit/marker pagination.
 */
import { ApiFault, badRequest, notFound } from '../faults.js';
import type { ApiResponse } from '../http.js';
import { userMessageText } from '../messages.js';
import type { MessageRecord } from '../state.js';
import { links } from '../views.js';
import type { Caller, RouteHandler, RouteServices } from './route.js';

const MESSAGES_MINOR = 3;
const MESSAGES_PAGINATION_MINOR = 5;
const RESOURCE_FILTER_MINOR = 31;
const LIKE_FILTER_MINOR = 34;
const MAX_LIMIT = 1000;
/** Message filters a non-admin may use (Cinder's default resource_filters.json). */
const MEMBER_MESSAGE_FILTERS = ['resource_uuid', 'resource_type', 'event_id', 'request_id', 'message_level'];
const NOT_FILTERS = ['limit', 'marker', 'offset', 'sort', 'sort_key', 'sort_dir'];

/** Cinder's message view, key for key (resource_type and resource_uuid only when set). */
function messageView(c: Caller, m: MessageRecord): Record<string, unknown> {
  return {
    id: m.id,
    event_id: m.event_id,
    user_message: userMessageText(m),
    message_level: m.message_level,
    created_at: m.created_at,
    guaranteed_until: m.expires_at,
    request_id: m.request_id,
    links: links(c, 'messages', m.id),
    resource_type: m.resource_type,
    resource_uuid: m.resource_uuid,
  };
}

function visibleMessage(s: RouteServices, c: Caller, id: string): MessageRecord {
  const m = s.messages.visibleTo(c).find((x) => x.id === id);
  if (!m) throw new ApiFault(404, `Message ${id} could not be found.`);
  return m;
}

/** Newest first, then id descending: Cinder's default order. */
function newestFirst(a: MessageRecord, b: MessageRecord): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? 1 : -1;
  return a.id === b.id ? 0 : a.id < b.id ? 1 : -1;
}

export const listMessages: RouteHandler = (s, c): ApiResponse => {
  if (c.minor < MESSAGES_MINOR) throw notFound();
  let messages = s.messages.visibleTo(c).sort(newestFirst);
  const params = c.request.url.searchParams;
  if (c.minor < MESSAGES_PAGINATION_MINOR) return { status: 200, body: { messages: messages.map((m) => messageView(c, m)) } };

  const filters = [...params].filter(([key]) => !NOT_FILTERS.includes(key));
  if (!c.isAdmin && c.minor >= RESOURCE_FILTER_MINOR) {
    const like = c.minor >= LIKE_FILTER_MINOR;
    const invalid = filters.map(([k]) => k).filter((k) => !(MEMBER_MESSAGE_FILTERS.includes(k) || (like && MEMBER_MESSAGE_FILTERS.includes(`${k}~`))));
    if (invalid.length > 0) throw badRequest(`Invalid filters ${invalid.join(',')} are found in query options.`);
  }
  // Exact matches on the message's columns; a key that names no column matches nothing, as in Cinder.
  messages = messages.filter((m) => filters.every(([key, value]) => Object.hasOwn(m, key) && String((m as unknown as Record<string, unknown>)[key]) === value));

  const limitText = params.get('limit');
  let limit = MAX_LIMIT;
  if (limitText !== null) {
    if (!/^\s*[-+]?\d+\s*$/.test(limitText)) throw badRequest('limit param must be an integer');
    if (Number(limitText) < 0) throw badRequest('limit param must be positive');
    limit = Math.min(Number(limitText), MAX_LIMIT);
  }
  const markerId = params.get('marker');
  if (markerId !== null) {
    const marker = visibleMessage(s, c, markerId);
    messages = messages.filter((m) => newestFirst(m, marker) > 0);
  }
  const page = messages.slice(0, limit);
  const body: Record<string, unknown> = { messages: page.map((m) => messageView(c, m)) };
  if (page.length > 0 && page.length >= limit) {
    const next = new URLSearchParams(params);
    next.set('marker', page[page.length - 1]!.id);
    body.messages_links = [{ rel: 'next', href: `${c.origin}/v3/${c.projectId}/messages?${next.toString()}` }];
  }
  return { status: 200, body };
};

export const showMessage: RouteHandler = (s, c, { id }) => {
  if (c.minor < MESSAGES_MINOR) throw notFound();
  return { status: 200, body: { message: messageView(c, visibleMessage(s, c, id!)) } };
};

export const deleteMessage: RouteHandler = (s, c, { id }) => {
  if (c.minor < MESSAGES_MINOR) throw notFound();
  s.messages.delete(visibleMessage(s, c, id!).id);
  return { status: 204 };
};
