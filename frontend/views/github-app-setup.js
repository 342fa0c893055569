// `/github/app/setup`: the GitHub App's setup URL. GitHub sends the browser here after an
// install with installation_id, setup_action and our state (captured and removed from the
// address bar at start-up) -> POST github/app/installations -> back to /facebook. The backend
// never trusts installation_id alone: it asks GitHub whether the installation is yours.
import { h } from "../dom.js";
import { setFlash } from "../session.js";
import { finishCallback } from "./common.js";

const FAILURES = {
  installation_not_yours: "GitHub does not show this installation as yours, so it was not "
    + "connected. Install the app from the Facebook Page screen of this site.",
  installation_requested: "The installation is waiting for an owner of the account to approve "
    + "it on GitHub. Come back once it is approved.",
  state_expired: "Installing took too long and has expired. Please try again.",
  state_used: "This link has already been used. Please try again.",
  state_invalid: "This installation could not be verified. Please start it from this site.",
  state_mismatch: "This installation was started by another user or browser. Please try again.",
  validation_error: "This installation was not started from this site. Please start it from "
    + "the Facebook Page screen.",
  github_app_misconfigured: "GitHub refused this server's GitHub App credentials. An "
    + "administrator must check GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY.",
  provider_unavailable: "GitHub is not answering right now. Please try again in a moment.",
};

function showFailure(ctx, message) {
  ctx.main.replaceChildren(
    h("h1", {}, "The GitHub App was not connected"),
    h("div", { class: "alert error", role: "alert" }, h("p", {}, message)),
    h("p", {}, h("a", { href: "/facebook", "data-link": true, class: "btn primary" },
      "Back to the Facebook Page")),
  );
  ctx.focusHeading();
}

export async function renderGitHubAppSetup(ctx) {
  await finishCallback(ctx, {
    route: "/github/app/setup", apiPath: "github/app/installations",
    heading: "Connecting the GitHub App…", working: "Checking the installation with GitHub…",
    bodyOf: (params) => ({ installation_id: Number(params.installation_id ?? 0),
      setup_action: params.setup_action ?? "", state: params.state ?? "" }),
    onNothing: () => showFailure(ctx,
      "This page finishes installing the GitHub App, but there is nothing to finish here."),
    onFailure: (error) => showFailure(ctx, FAILURES[error.code] ?? error.message),
    onDone: () => {
      if (!ctx.alive()) return;
      setFlash("GitHub App installed: its repositories can now post releases", "success");
      ctx.navigate("/facebook", { replace: true });
    },
  });
}
