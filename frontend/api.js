// fetch wrapper for /api/v1/: JSON in and out, the session cookie, the CSRF header on unsafe
// methods, and the error shape {code, message} turned into an ApiError with a human message.
// The API may live on another origin (config.js): then cookies go with credentials: "include".
import { API_URL } from "./config.js";

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Fired on window when any endpoint but `me` / `auth/logout` answers 401: the session ended
 * mid-use. Sent once; armed again when `me` answers (signed in again).
 */
export const SIGNED_OUT = "signed-out";
const SESSION_PROBES = new Set(["me", "auth/logout"]);
const ENDS_SESSION = new Set(["POST auth/logout", "DELETE me"]);
let signedOutSent = false;

export class ApiError extends Error {
  constructor(status, code, message, body = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

function readCookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

// "" (the default) means this page's origin.
const API_BASE = new URL(`${API_URL.replace(/\/+$/, "")}/api/v1/`, window.location.origin);
const CROSS_ORIGIN = API_BASE.origin !== window.location.origin;

/** Django names the cookie `__Host-csrftoken` when it is Secure (`__Secure-` with a Domain). */
function cookieToken() {
  return readCookie("__Host-csrftoken") ?? readCookie("__Secure-csrftoken")
    ?? readCookie("csrftoken");
}

let fetchedToken = null;
const ROTATES_CSRF = new Set(["auth/github/callback"]); // Django's login() rotates the token

/**
 * The token for X-CSRFToken. Same origin: read from the cookie. Another origin cannot read the
 * API's cookie, so it asks GET auth/csrf once (again after a sign-in rotates it).
 */
async function csrfToken() {
  if (!CROSS_ORIGIN) return cookieToken();
  if (!fetchedToken) {
    fetchedToken = api("GET", "auth/csrf").then((answer) => answer.csrf_token)
      .catch((error) => { fetchedToken = null; throw error; });
  }
  return fetchedToken;
}

const MESSAGES = {
  network_error: "Could not reach the server. Check your connection and try again.",
  not_authenticated: "You are not signed in.",
  authentication_failed: "You are not signed in.",
  permission_denied: "You do not have access to this.",
  csrf_failed: "Your session could not be verified. Reload the page and try again.",
  state_invalid: "This sign-in link is not valid. Please start again.",
  state_expired: "This sign-in took too long and has expired. Please start again.",
  state_used: "This sign-in link has already been used. Please start again.",
  state_mismatch: "This sign-in was started in another browser or tab. Please start again here.",
  provider_unavailable: "The provider is not answering right now. Please try again in a moment.",
  provider_not_configured: "This provider is not set up on the server yet.",
  bad_provider_response: "The provider sent an unexpected answer. Please try again.",
  token_invalid: "Access to the provider is no longer valid. Connect again.",
  not_linked: "Nothing is linked yet.",
  image_invalid: "That file is not a JPEG or PNG image that can be read.",
  image_too_large: "That image is too large (at most 8 MB).",
  image_too_many_pixels: "That image has too many pixels; use a smaller one.",
  image_aspect_ratio: "Instagram takes images from 4:5 (portrait) to 1.91:1 (landscape): "
    + "crop it, or leave Instagram out.",
  image_not_found: "That image is no longer available; upload it again.",
  instagram_not_connected: "The Page has no Instagram account this site may publish to: "
    + "connect Instagram first.",
  server_error: "Something went wrong on our side. Please try again.",
  bad_response: "The server sent an unexpected answer. Please try again.",
};

const TIMEOUT_MS = 20000; // a request with no answer by then fails as network_error

const FIELD_LABELS = { scheduled_at: "Schedule", page_id: "Page", non_field_errors: "" };

function fieldLabel(field) {
  const label = field in FIELD_LABELS ? FIELD_LABELS[field]
    : field.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
  return label ? `${label}: ` : "";
}

function humanMessage(status, body) {
  const code = body?.code;
  if (code === "throttled" || code === "provider_rate_limited") {
    const wait = Number(body?.retry_after);
    return wait > 0
      ? `Too many requests. Please wait ${wait} second${wait === 1 ? "" : "s"} and try again.`
      : "Too many requests. Please wait a moment and try again.";
  }
  if (code === "validation_error" && body?.fields) {
    const parts = Object.entries(body.fields).map(([field, errors]) =>
      `${fieldLabel(field)}${[].concat(errors).join(" ")}`);
    if (parts.length) return parts.join(" ");
  }
  if (code === "permission_missing" && Array.isArray(body?.missing) && body.missing.length) {
    return `A required permission was not granted: ${body.missing.join(", ")}.`;
  }
  if (code && MESSAGES[code]) return MESSAGES[code];
  if (typeof body?.message === "string" && body.message) return body.message;
  if (status >= 500) return MESSAGES.server_error;
  return "The request could not be completed.";
}

/**
 * Call the API. Resolves to the parsed JSON (null for 204); rejects with ApiError. Without a
 * `signal` of its own, a request gives up after TIMEOUT_MS (-> network_error). A 2xx answer
 * that is not JSON is a `bad_response` error, never a null the caller could misread.
 */
export async function api(method, path, options = {}) {
  // Signing out (or deleting the account) on purpose: a request still in flight that comes back
  // 401 is expected then, not "your session has ended" over the page's own message.
  if (ENDS_SESSION.has(`${method} ${path}`)) signedOutSent = true;
  try {
    return await send(method, path, options);
  } catch (error) {
    // A stale fetched token (rotated by a sign-in elsewhere): the request was refused before
    // anything ran, so one retry with a fresh token is safe.
    if (!(CROSS_ORIGIN && error instanceof ApiError && error.code === "csrf_failed")) throw error;
    fetchedToken = null;
    return send(method, path, options);
  }
}

async function send(method, path, { body, form, headers = {}, signal } = {}) {
  const init = {
    method,
    credentials: CROSS_ORIGIN ? "include" : "same-origin",
    cache: "no-store",
    headers: { Accept: "application/json", ...headers },
    signal: signal ?? AbortSignal.timeout(TIMEOUT_MS),
  };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  } else if (form !== undefined) {
    init.body = form; // multipart: the browser sets Content-Type with its boundary
  }
  if (UNSAFE.has(method)) {
    const token = await csrfToken();
    if (token) init.headers["X-CSRFToken"] = token;
  }
  let response;
  try {
    response = await fetch(new URL(path, API_BASE), init);
  } catch (error) {
    if (error?.name === "AbortError") throw error;
    throw new ApiError(0, "network_error", MESSAGES.network_error);
  }
  if (response.status === 204) return null;
  let data = null;
  let parsed = false;
  try {
    data = await response.json();
    parsed = true;
  } catch (error) {
    if (error?.name === "AbortError") throw error; // the caller's own abort, mid-body
    if (error?.name === "TimeoutError") {
      throw new ApiError(0, "network_error", MESSAGES.network_error);
    }
    data = null;
  }
  if (response.ok && !parsed) {
    throw new ApiError(response.status, "bad_response", MESSAGES.bad_response);
  }
  if (!response.ok) {
    if (response.status === 401 && !SESSION_PROBES.has(path) && !signedOutSent) {
      signedOutSent = true;
      window.dispatchEvent(new Event(SIGNED_OUT));
    }
    const code = typeof data?.code === "string" ? data.code : `http_${response.status}`;
    throw new ApiError(response.status, code, humanMessage(response.status, data), data);
  }
  if (path === "me") signedOutSent = false;
  if (ROTATES_CSRF.has(path)) fetchedToken = null;
  return data;
}

export const get = (path, options) => api("GET", path, options);
export const post = (path, body = {}, options = {}) => api("POST", path, { ...options, body });
export const put = (path, body = {}, options = {}) => api("PUT", path, { ...options, body });
export const del = (path, options) => api("DELETE", path, options);
/** Upload one file as the multipart field `file` (POST /media). */
export function upload(path, file, options = {}) {
  const form = new FormData();
  form.append("file", file);
  return api("POST", path, { ...options, form, signal: options.signal ?? AbortSignal.timeout(120000) });
}
