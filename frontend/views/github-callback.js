// `/auth/github/callback`: the code and state were captured (and removed from the address bar)
// by app.js before anything rendered; post them to the API and go to the profile.
import { h, loading } from "../dom.js";
import { post } from "../api.js";
import { forgetMe, setFlash, takeCallbackParams } from "../session.js";
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

export async function renderGitHubCallback(ctx) {
  const params = takeCallbackParams("/auth/github/callback");
  if (!params) {
    showFailure(ctx, "Sign-in did not complete",
      "This page finishes a sign-in with GitHub, but there is nothing to finish here.");
    return;
  }
  ctx.main.append(h("h1", {}, "Signing you in…"), loading("Finishing the sign-in with GitHub…"));
  try {
    await post("auth/github/callback", callbackBody(params));
  } catch (error) {
    if (!ctx.alive()) return;
    const lead = FAILURES[error.code];
    const message = !lead ? error.message
      : error.code === "access_denied" ? lead : `${lead} Please try again.`;
    const heading = error.code === "access_denied" ? "Sign-in cancelled" : "Sign-in did not complete";
    showFailure(ctx, heading, message);
    return;
  }
  forgetMe();
  if (!ctx.alive()) return;
  setFlash("You are signed in.", "success");
  ctx.navigate("/profile", { replace: true });
}
