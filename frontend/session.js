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

/** Start an authorization flow and leave for the provider. Resolves only on failure. */
export async function goToProvider(endpoint) {
  const answer = await post(endpoint, {});
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
