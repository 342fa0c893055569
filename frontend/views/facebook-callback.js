// `/facebook/callback`: same pattern as the GitHub callback (parameters captured and removed
// from the address bar at start-up) -> POST facebook/callback -> back to /facebook.
import { h, loading } from "../dom.js";
import { post } from "../api.js";
import { setFlash, takeCallbackParams } from "../session.js";

const FAILURES = {
  access_denied: "You cancelled at Facebook, so no Page was linked.",
  state_expired: "Connecting took too long and has expired. Please try again.",
  state_used: "This link has already been used. Please try again.",
  state_invalid: "This connection could not be verified. Please try again.",
  state_mismatch: "This connection was started by another user or browser. Please try again.",
  provider_unavailable: "Facebook is not answering right now. Please try again in a moment.",
};

function showFailure(ctx, heading, message) {
  ctx.main.replaceChildren(
    h("h1", {}, heading),
    h("div", { class: "alert error", role: "alert" }, h("p", {}, message)),
    h("p", {}, h("a", { href: "/facebook", "data-link": true, class: "btn primary" },
      "Back to the Facebook Page")),
  );
  ctx.focusHeading();
}

export async function renderFacebookCallback(ctx) {
  const params = takeCallbackParams("/facebook/callback");
  if (!params) {
    showFailure(ctx, "Nothing to finish",
      "This page finishes connecting Facebook, but there is nothing to finish here.");
    return;
  }
  ctx.main.append(h("h1", {}, "Connecting Facebook…"), loading("Finishing the login to Facebook…"));
  const body = params.error
    ? { error: params.error, error_reason: params.error_reason ?? "",
      error_description: (params.error_description ?? "").slice(0, 500), state: params.state ?? "" }
    : { code: params.code ?? "", state: params.state ?? "" };
  try {
    await post("facebook/callback", body);
  } catch (error) {
    if (!ctx.alive()) return;
    const cancelled = error.code === "access_denied";
    showFailure(ctx, cancelled ? "Facebook login cancelled" : "Facebook login did not complete",
      FAILURES[error.code] ?? error.message);
    return;
  }
  if (!ctx.alive()) return;
  setFlash("Login to Facebook successful", "success");
  ctx.navigate("/facebook", { replace: true });
}
