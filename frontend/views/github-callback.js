// `/auth/github/callback`: the code and state were captured (and removed from the address bar)
// by app.js before anything rendered; post them to the API and go to the profile.
import { h } from "../dom.js";
import { forgetMe, noteGitHubGranted, setFlash, takeReturnPath } from "../session.js";
import { finishCallback } from "./common.js";
import { githubButton } from "./home.js";

const FAILURES = {
  access_denied: "You cancelled the sign-in at GitHub, so you are not signed in.",
  state_expired: "The sign-in took too long and has expired.",
  state_used: "This sign-in link has already been used.",
  state_invalid: "This sign-in could not be verified.",
  state_mismatch: "This sign-in was started in another browser or tab.",
  provider_unavailable: "GitHub is not answering right now.",
  authorization_failed: "GitHub did not accept the sign-in.",
};

export function callbackBody(params) {
  if (params.error) {
    return {
      error: params.error,
      error_description: (params.error_description ?? "").slice(0, 500),
      state: params.state ?? "",
    };
  }
  return { code: params.code ?? "", state: params.state ?? "" };
}

function showFailure(ctx, heading, message) {
  ctx.main.replaceChildren(
    h("h1", {}, heading),
    h("div", { class: "alert error", role: "alert" }, h("p", {}, message)),
    h("p", {}, "You can start the sign-in again."),
    githubButton("Try again"),
    h("p", {}, h("a", { href: "/", "data-link": true }, "Back to the home page")),
  );
  ctx.focusHeading();
}

function failureMessage(error) {
  const lead = FAILURES[error.code];
  if (!lead) return error.message;
  return error.code === "access_denied" ? lead : `${lead} Please try again.`;
}

export async function renderGitHubCallback(ctx) {
  await finishCallback(ctx, {
    route: "/auth/github/callback", apiPath: "auth/github/callback", bodyOf: callbackBody,
    heading: "Signing you in…", working: "Finishing the sign-in with GitHub…",
    onNothing: () => showFailure(ctx, "Sign-in did not complete",
      "This page finishes a sign-in with GitHub, but there is nothing to finish here."),
    onFailure: (error) => showFailure(ctx,
      error.code === "access_denied" ? "Sign-in cancelled" : "Sign-in did not complete",
      failureMessage(error)),
    onDone: () => {
      forgetMe();
      if (!ctx.alive()) return;
      const next = takeReturnPath("/profile");
      if (next !== "/profile") noteGitHubGranted();
      setFlash(next === "/profile" ? "You are signed in." : "GitHub access updated.", "success");
      ctx.navigate(next, { replace: true });
    },
  });
}
