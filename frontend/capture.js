// Runs first, as its own module script with no imports: takes the OAuth callback parameters out
// of the address bar before anything else happens (RFC 6749 §3.1.2.5), even when another module
// fails to load. session.js imports this same module instance to hand the parameters to a view.

const CALLBACK_PATHS = ["/auth/github/callback", "/facebook/callback", "/github/app/setup"];
const CALLBACK_KEYS = ["code", "state", "error", "error_reason", "error_description",
  "installation_id", "setup_action"];

let captured = null;

(function capture() {
  const { pathname } = window.location;
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, "") : pathname;
  if (!CALLBACK_PATHS.includes(path)) return;
  const search = new URLSearchParams(window.location.search);
  const params = {};
  for (const key of CALLBACK_KEYS) {
    if (search.has(key)) params[key] = search.get(key);
  }
  window.history.replaceState(null, "", path);
  if (Object.keys(params).length) captured = { path, params };
})();

/** The captured parameters for this callback route (single use: a reload shows "start again"). */
export function takeCallbackParams(path) {
  if (!captured || captured.path !== path) return null;
  const { params } = captured;
  captured = null;
  return params;
}
