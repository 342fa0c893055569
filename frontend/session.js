// Who is signed in (GET /api/v1/me, cached until invalidated), one-shot flash messages that
// survive a client-side navigation, and (from capture.js) the OAuth callback parameters.
import { ApiError, get, post } from "./api.js";

export { takeCallbackParams } from "./capture.js";

let mePromise = null;
let flashMessage = null;

/** The signed-in user, or null when signed out. Other errors propagate. */
export function loadMe({ fresh = false } = {}) {
  if (fresh || !mePromise) {
    mePromise = get("me").catch((error) => {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return null;
      mePromise = null;
      throw error;
    });
  }
  return mePromise;
}

export function forgetMe() {
  mePromise = null;
}

export function setFlash(message, kind = "success") {
  flashMessage = { message, kind };
}

export function takeFlash() {
  const value = flashMessage;
  flashMessage = null;
  return value;
}

// Where the GitHub callback goes after a sign-in the SPA started from elsewhere (the extra
// scope for automations starts on /facebook). Only these paths are honoured.
const RETURN_KEY = "oauth-bridge:after-github";
const RETURN_PATHS = new Set(["/facebook"]);

export function setReturnPath(path) {
  sessionStorage.setItem(RETURN_KEY, path);
}

/** The path to go to after the GitHub callback (then forgotten), or `fallback`. */
export function takeReturnPath(fallback) {
  const path = sessionStorage.getItem(RETURN_KEY);
  sessionStorage.removeItem(RETURN_KEY);
  return RETURN_PATHS.has(path) ? path : fallback;
}

// Set by the GitHub callback when a consent started elsewhere succeeded: the view that started
// it may then finish what it was doing (the automation the scope was asked for). A cancelled
// or failed consent never sets it, so nothing is resumed behind the person's back.
const GRANTED_KEY = "oauth-bridge:github-granted";

export function noteGitHubGranted() {
  sessionStorage.setItem(GRANTED_KEY, "1");
}

/** True once after a successful GitHub consent started from another page. */
export function takeGitHubGranted() {
  const granted = sessionStorage.getItem(GRANTED_KEY) === "1";
  sessionStorage.removeItem(GRANTED_KEY);
  return granted;
}

/** Start an authorization flow and leave for the provider. Resolves only on failure. */
export async function goToProvider(endpoint, body = {}) {
  const answer = await post(endpoint, body);
  const url = answer?.authorize_url;
  let target;
  try {
    target = new URL(url);
  } catch {
    throw new ApiError(502, "bad_response", "The server did not return a sign-in address.");
  }
  if (target.protocol !== "https:" && target.protocol !== "http:") {
    throw new ApiError(502, "bad_response", "The server returned an unusable sign-in address.");
  }
  window.location.assign(target.href);
  // Keep the button busy while the browser leaves.
  return new Promise(() => {});
}
