// Entry point: a small history.pushState router. (capture.js, loaded before this, has already
// taken the OAuth callback parameters out of the address bar.)
import { SIGNED_OUT } from "./api.js";
import { append, clear, h } from "./dom.js";
import { forgetMe, loadMe, setFlash, takeFlash } from "./session.js";
import { renderHome } from "./views/home.js";
import { renderProfile } from "./views/profile.js";
import { renderGitHubCallback } from "./views/github-callback.js";
import { renderFacebook } from "./views/facebook.js";
import { renderFacebookCallback } from "./views/facebook-callback.js";
import { renderGitHubAppSetup } from "./views/github-app-setup.js";

function normalise(pathname) {
  return pathname.length > 1 ? pathname.replace(/\/+$/, "") : pathname;
}

const ROUTES = {
  "/": renderHome,
  "/profile": renderProfile,
  "/auth/github/callback": renderGitHubCallback,
  "/facebook": renderFacebook,
  "/facebook/callback": renderFacebookCallback,
  "/github/app/setup": renderGitHubAppSetup,
};

const main = document.getElementById("main");
const statusRegion = document.getElementById("status");
const nav = document.getElementById("nav");
let renderCount = 0;
let firstRender = true;
let renderedAt = ""; // pathname + search of the last render

/** Announce a status message (aria-live) and show it in the banner. */
export function announce(message, kind = "info") {
  statusRegion.className = `status ${kind}`;
  statusRegion.textContent = message ?? "";
}

export function navigate(path, { replace = false } = {}) {
  window.history[replace ? "replaceState" : "pushState"](null, "", path);
  render();
}

function setTitle(heading) {
  const text = heading?.textContent || "OAuth Bridge";
  document.title = text === "OAuth Bridge" ? text : `${text} — OAuth Bridge`;
}

function focusHeading() {
  const heading = main.querySelector("h1");
  if (!heading) return;
  heading.setAttribute("tabindex", "-1");
  heading.focus();
  setTitle(heading);
}

let navCount = 0;

async function renderNav() {
  // A slower, older render (say, a /me sent just before sign-in finished) must not overwrite
  // the navigation of a newer one.
  const token = ++navCount;
  let me = null;
  try {
    me = await loadMe();
  } catch {
    me = null;
  }
  if (token !== navCount) return;
  const here = normalise(window.location.pathname);
  const item = (path, label) => h("li", {}, h("a", {
    href: path, "data-link": true, "aria-current": here === path ? "page" : null,
  }, label));
  clear(nav);
  append(nav, item("/", "Home"));
  if (me) append(nav, item("/profile", "Profile"));
  if (me?.can_manage_facebook_page) append(nav, item("/facebook", "Facebook Page"));
}

function renderNotFound(ctx) {
  ctx.main.append(h("h1", {}, "Page not found"),
    h("p", {}, "There is nothing at this address. ", h("a", { href: "/", "data-link": true },
      "Go to the home page"), "."));
}

async function render() {
  const token = ++renderCount;
  renderedAt = window.location.pathname + window.location.search;
  const path = normalise(window.location.pathname);
  const view = ROUTES[path] ?? renderNotFound;
  clear(main);
  main.setAttribute("aria-busy", "true");
  const flash = takeFlash();
  if (flash) announce(flash.message, flash.kind);
  else announce("");
  const ctx = {
    main,
    path,
    navigate,
    announce,
    /** False once the user has moved on: late answers must not touch the new page. */
    alive: () => token === renderCount,
    focusHeading,
  };
  const pending = view(ctx);
  if (!firstRender) focusHeading();
  else setTitle(main.querySelector("h1"));
  firstRender = false;
  // On the GitHub callback, the sign-in POST must be the only request in flight: a parallel
  // /me still carrying the pre-sign-in session cookie can reach the server after the session
  // key was rotated, find its session gone, and answer by deleting the (new) session cookie.
  if (path === "/auth/github/callback") {
    const navAfter = () => { if (ctx.alive()) renderNav(); };
    pending.then(navAfter, navAfter);
  } else {
    renderNav();
  }
  try {
    await pending;
  } catch (error) {
    if (!ctx.alive()) return;
    console.warn("view failed", error); // eslint-disable-line no-console
    append(main, h("p", { class: "alert error", role: "alert" },
      error?.message || "Something went wrong. Reload the page and try again."));
  } finally {
    if (ctx.alive()) main.removeAttribute("aria-busy");
  }
}

document.addEventListener("click", (event) => {
  const link = event.target.closest?.("a[data-link]");
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(link.href);
  if (url.origin !== window.location.origin) return;
  event.preventDefault();
  if (url.pathname + url.search !== window.location.pathname + window.location.search) {
    navigate(url.pathname + url.search);
  }
});

// The session ended mid-use (expired, signed out elsewhere): forget the user and start again.
window.addEventListener(SIGNED_OUT, () => {
  forgetMe();
  setFlash("Your session has ended — please sign in again.", "info");
  navigate("/", { replace: true });
});

window.addEventListener("popstate", () => {
  // A fragment change (the skip link's #main) also fires popstate: same page, nothing to redo.
  if (window.location.pathname + window.location.search === renderedAt) return;
  render();
});

render();
