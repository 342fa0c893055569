// `/facebook/callback`: same pattern as the GitHub callback (parameters captured and removed
// from the address bar at start-up) -> POST facebook/callback -> back to /facebook.
import { h } from "../dom.js";
import { setFlash } from "../session.js";
import { finishCallback } from "./common.js";

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
  await finishCallback(ctx, {
    route: "/facebook/callback", apiPath: "facebook/callback",
    heading: "Connecting Facebook…", working: "Finishing the login to Facebook…",
    bodyOf: (params) => (params.error
      ? { error: params.error, error_reason: params.error_reason ?? "",
        error_description: (params.error_description ?? "").slice(0, 500),
        state: params.state ?? "" }
      : { code: params.code ?? "", state: params.state ?? "" }),
    onNothing: () => showFailure(ctx, "Nothing to finish",
      "This page finishes connecting Facebook, but there is nothing to finish here."),
    onFailure: (error) => showFailure(ctx,
      error.code === "access_denied" ? "Facebook login cancelled" : "Facebook login did not complete",
      FAILURES[error.code] ?? error.message),
    onDone: () => {
      if (!ctx.alive()) return;
      setFlash("Login to Facebook successful", "success");
      ctx.navigate("/facebook", { replace: true });
    },
  });
}
