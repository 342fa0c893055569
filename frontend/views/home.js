// `/`: what this is, and "Sign in with GitHub" (or a way to the profile when signed in).
import { h, loading } from "../dom.js";
import { loadMe } from "../session.js";
import { errorAlert, fill, providerButton } from "./common.js";

export function githubButton(label = "Sign in with GitHub") {
  return providerButton({
    label, authorizePath: "auth/github/authorize", working: "Redirecting to GitHub…",
    slotClass: "signin", buttonClass: "github",
    mark: h("span", { class: "gh-mark", "aria-hidden": "true" }),
  });
}

export async function renderHome(ctx) {
  const account = h("div", { class: "account-slot" }, loading("Checking whether you are signed in…"));
  ctx.main.append(
    h("h1", {}, "OAuth Bridge"),
    h("p", { class: "lead" },
      "OAuth Bridge signs you in with your GitHub account. After signing in you can see your ",
      "profile, whether this app's access to GitHub is still valid, and your repositories."),
    h("p", {}, "Staff can also connect the organisation's Facebook Page and post to it."),
    account,
  );
  let me;
  try {
    me = await loadMe();
  } catch (error) {
    if (!ctx.alive()) return;
    fill(account, errorAlert(error, { onRetry: () => ctx.navigate("/", { replace: true }) }),
      githubButton());
    return;
  }
  if (!ctx.alive()) return;
  if (me) {
    const login = me.github?.login ?? me.username;
    fill(account, h("p", { class: "signed-in" }, "You are signed in as ", h("strong", {}, login), ". ",
      h("a", { href: "/profile", "data-link": true, class: "btn primary" }, "Go to your profile")));
  } else {
    fill(account, githubButton(),
      h("p", { class: "hint" }, "You will be asked on GitHub to allow read access to your profile ",
        "and email address. Nothing is posted on your behalf."));
  }
}
