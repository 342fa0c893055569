// `/profile`: the GitHub profile, token validity in words, repositories, sign out, delete.
import { ApiError, get, post } from "../api.js";
import { busy, externalLink, h, loading, safeUrl } from "../dom.js";
import { formatDate, timeEl } from "../format.js";
import { forgetMe, setFlash } from "../session.js";
import { confirmedDelete, errorAlert, facts, fill, pager, section, signedInUser } from "./common.js";
import { githubButton } from "./home.js";

function avatar(github) {
  const src = safeUrl(github?.avatar_url);
  if (!src) return h("div", { class: "avatar placeholder", "aria-hidden": "true" });
  const img = h("img", { class: "avatar", src, alt: "", width: 96, height: 96 });
  img.addEventListener("error", () => img.classList.add("broken"));
  return img;
}

function renderAccount(region, me) {
  const gh = me.github ?? {};
  const login = gh.login ?? me.username;
  fill(region,
    h("div", { class: "identity" },
      avatar(gh),
      h("div", {},
        h("p", { class: "name" }, gh.name || login),
        h("p", { class: "login" }, "@", externalLink(gh.html_url, login)),
      )),
    facts([
      ["Name", gh.name || "Not set on GitHub"],
      ["GitHub login", login],
      ["Email", gh.email || me.email || "No verified email"],
      ["Role", me.is_staff ? "Staff" : null],
    ]),
    me.can_manage_facebook_page
      ? h("p", {}, h("a", { href: "/facebook", "data-link": true }, "Manage the Facebook Page"))
      : null,
  );
}

async function loadToken(region, ctx) {
  fill(region, loading("Checking your GitHub access…"));
  let token;
  try {
    token = await get("me/github/token");
  } catch (error) {
    if (!ctx.alive()) return;
    if (error.code === "token_invalid") token = { valid: false, scopes: [] };
    else {
      fill(region, errorAlert(error, { onRetry: () => loadToken(region, ctx) }));
      return;
    }
  }
  if (!ctx.alive()) return;
  const scopes = Array.isArray(token.scopes) ? token.scopes : [];
  if (token.valid) {
    fill(region,
      h("p", { class: "validity valid" }, h("span", { class: "dot", "aria-hidden": "true" }),
        "Your GitHub access is valid"),
      facts([
        ["Scopes", scopes.length ? scopes.join(", ") : "None"],
        ["Expires", token.expires_at ? timeEl(token.expires_at) : "Does not expire"],
        ["Checked", token.checked_at ? timeEl(token.checked_at) : null],
      ]));
  } else {
    fill(region,
      h("p", { class: "validity invalid" }, h("span", { class: "dot", "aria-hidden": "true" }),
        "Your GitHub access is no longer valid — sign in again"),
      githubButton("Sign in again"));
  }
}

function repoItem(repo) {
  const meta = [
    repo.language,
    typeof repo.stargazers_count === "number"
      ? `${repo.stargazers_count} star${repo.stargazers_count === 1 ? "" : "s"}` : null,
    repo.updated_at ? `updated ${formatDate(repo.updated_at)}` : null,
  ].filter(Boolean);
  return h("li", { class: "repo" },
    h("div", { class: "repo-head" },
      externalLink(repo.html_url, repo.full_name || repo.name),
      h("span", { class: `badge ${repo.private ? "private" : "public"}` },
        repo.private ? "Private" : "Public")),
    repo.description ? h("p", { class: "repo-desc" }, repo.description) : null,
    meta.length ? h("p", { class: "repo-meta" }, meta.join(" · ")) : null);
}

async function loadRepos(region, ctx, page, { focus = null } = {}) {
  fill(region, loading(`Loading repositories (page ${page})…`));
  let answer;
  try {
    answer = await get(`me/github/repos?page=${encodeURIComponent(page)}`);
  } catch (error) {
    if (!ctx.alive()) return;
    const alert = errorAlert(error, { onRetry: () => loadRepos(region, ctx, page, { focus }) });
    fill(region, alert);
    // The pager button that had focus is gone: keep keyboard focus in the region.
    if (focus) alert.querySelector("button")?.focus();
    return;
  }
  if (!ctx.alive()) return;
  const repos = Array.isArray(answer?.results) ? answer.results : [];
  const current = Number(answer?.page) || page;
  const next = answer?.next_page ?? null;
  const list = repos.length
    ? h("ul", { class: "repos" }, repos.map(repoItem))
    : h("p", {}, current > 1 ? "No more repositories." : "You have no repositories yet.");
  const { nav, prev: prevBtn, next: nextBtn } = pager("Repository pages", {
    page: current,
    hasPrev: current > 1,
    hasNext: Boolean(next),
    onPrev: () => loadRepos(region, ctx, current - 1, { focus: "prev" }),
    onNext: () => loadRepos(region, ctx, next, { focus: "next" }),
  });
  fill(region, list, nav);
  if (focus) {
    // The clicked button was re-rendered: keep keyboard focus on the pager.
    ctx.announce(`Showing page ${current} of your repositories.`);
    const wanted = focus === "next" ? nextBtn : prevBtn;
    (wanted.disabled ? (wanted === nextBtn ? prevBtn : nextBtn) : wanted).focus();
  }
}

function accountActions(ctx) {
  const errors = h("div");
  const signOut = h("button", { type: "button", class: "btn" }, "Sign out");
  const remove = confirmedDelete({
    label: "Delete account", working: "Deleting…", path: "me",
    dialog: {
      title: "Delete your account?",
      body: "This deletes your account here and revokes this app's access to your GitHub "
        + "account. It cannot be undone.",
      confirmLabel: "Delete my account",
    },
    onStart: () => fill(errors),
    onError: (error) => fill(errors, errorAlert(error)),
    onDone: () => {
      forgetMe();
      setFlash("Your account has been deleted.", "success");
      ctx.navigate("/");
    },
  });
  signOut.addEventListener("click", async () => {
    fill(errors);
    try {
      await busy(signOut, "Signing out…", () => post("auth/logout", {}));
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) {
        fill(errors, errorAlert(error));
        return;
      }
    }
    forgetMe();
    setFlash("You are signed out.", "success");
    ctx.navigate("/");
  });
  return [h("div", { class: "actions" }, signOut, remove), errors];
}

export async function renderProfile(ctx) {
  const accountRegion = h("div", {}, loading("Loading your profile…"));
  ctx.main.append(h("h1", {}, "Your profile"), accountRegion);
  const me = await signedInUser(ctx, accountRegion, "/profile");
  if (!me) return;
  const tokenRegion = h("div");
  const reposRegion = h("div");
  accountRegion.replaceWith(
    section("account", "Account", h("div", { id: "account-details" })),
    section("access", "GitHub access", tokenRegion),
    section("session", "Your session", ...accountActions(ctx)),
    section("repositories", "Repositories", reposRegion),
  );
  renderAccount(ctx.main.querySelector("#account-details"), me);
  await Promise.all([loadToken(tokenRegion, ctx), loadRepos(reposRegion, ctx, 1)]);
}
