// Pieces shared by the views: error alerts with a retry, sections, definition rows.
import { del, post } from "../api.js";
import { busy, confirmThenRun, h, loading } from "../dom.js";
import { goToProvider, loadMe, setFlash, takeCallbackParams } from "../session.js";

/**
 * A role=alert box with the human message and, optionally, a retry button. The provider's own
 * words (`provider_message`: cleaned and capped by the server) come apart from ours, as text.
 */
export function errorAlert(error, { onRetry, retryLabel = "Try again" } = {}) {
  const message = error?.message || "Something went wrong. Please try again.";
  const box = h("div", { class: "alert error", role: "alert" }, h("p", {}, message));
  const said = error?.body?.provider_message;
  if (typeof said === "string" && said) {
    box.append(h("p", { class: "provider-message" }, `The provider said: ${said}`));
  }
  if (onRetry) {
    box.append(h("button", { type: "button", class: "btn", onClick: onRetry }, retryLabel));
  }
  return box;
}

export function notice(message, kind = "info") {
  return h("p", { class: `alert ${kind}` }, message);
}

/** A titled <section> labelled by its h2. */
export function section(id, title, ...children) {
  return h("section", { class: "card", "aria-labelledby": `${id}-title`, id },
    h("h2", { id: `${id}-title` }, title), ...children);
}

/** A <dl> from [label, value] pairs; pairs with a null value are skipped. */
export function facts(pairs) {
  const list = h("dl", { class: "facts" });
  for (const [label, value] of pairs) {
    if (value == null || value === "") continue;
    list.append(h("div", {}, h("dt", {}, label), h("dd", {}, value)));
  }
  return list;
}

/**
 * "Previous · Page N · Next" navigation. Returns the <nav> and both buttons (callers move focus
 * to them after a re-render).
 */
export function pager(label, { page, hasPrev, hasNext, onPrev, onNext,
  prevLabel = "Previous", nextLabel = "Next" }) {
  const prev = h("button", { type: "button", class: "btn", disabled: !hasPrev, onClick: onPrev },
    prevLabel);
  const next = h("button", { type: "button", class: "btn", disabled: !hasNext, onClick: onNext },
    nextLabel);
  const nav = h("nav", { class: "pager", "aria-label": label },
    prev, h("span", { class: "page-no" }, `Page ${page}`), next);
  return { nav, prev, next };
}

/** Replace the content of a region (keeps the element, so focus and labels stay stable). */
export function fill(region, ...children) {
  region.replaceChildren(...children.flat().filter((c) => c != null && c !== false));
  return region;
}

/** The `results` of a list answer (GET facebook/pages, facebook/page/posts). */
export function listOf(answer) {
  return Array.isArray(answer?.results) ? answer.results : [];
}

/**
 * A danger button that asks first, then DELETEs `path`: `onError(error)` when that fails,
 * `onDone()` when it worked (nothing when the person changed their mind). `onStart()` runs on
 * every click.
 */
export function confirmedDelete({ label, working, path, dialog, onError, onDone,
  onStart = () => {} }) {
  const button = h("button", { type: "button", class: "btn danger" }, label);
  button.addEventListener("click", async () => {
    onStart();
    try {
      const done = await confirmThenRun(button, dialog, working, () => del(path));
      if (!done) return;
    } catch (error) {
      onError(error);
      return;
    }
    await onDone();
  });
  return button;
}

/**
 * A button that starts a provider's flow: POST `authorizePath`, then go to the provider. An
 * error shows beside the button.
 */
export function providerButton({ label, authorizePath, working, slotClass, buttonClass,
  mark = null, body = {} }) {
  const slot = h("div", { class: slotClass });
  const button = h("button", { type: "button", class: `btn ${buttonClass}` }, mark, label);
  button.addEventListener("click", async () => {
    slot.querySelector(".alert")?.remove();
    try {
      await busy(button, working, () => goToProvider(authorizePath, body));
    } catch (error) {
      slot.append(errorAlert(error));
    }
  });
  slot.append(button);
  return slot;
}

/**
 * The signed-in user, fresh from the API; null when this view must stop (an error shown in
 * `region` with a retry of `path`, a visitor sent home, or the view left meanwhile).
 */
export async function signedInUser(ctx, region, path) {
  let me;
  try {
    me = await loadMe({ fresh: true });
  } catch (error) {
    if (ctx.alive()) {
      fill(region, errorAlert(error, { onRetry: () => ctx.navigate(path, { replace: true }) }));
    }
    return null;
  }
  if (!ctx.alive()) return null;
  if (!me) {
    setFlash("Please sign in first.", "info");
    ctx.navigate("/", { replace: true });
    return null;
  }
  return me;
}

/**
 * A provider callback route: post the parameters app.js captured to `apiPath`, then `onDone()`
 * or `onFailure(error)`; `onNothing()` when the route was opened without parameters.
 */
export async function finishCallback(ctx, { route, apiPath, bodyOf, heading, working, onNothing,
  onFailure, onDone }) {
  const params = takeCallbackParams(route);
  if (!params) {
    onNothing();
    return;
  }
  ctx.main.append(h("h1", {}, heading), loading(working));
  try {
    await post(apiPath, bodyOf(params));
  } catch (error) {
    if (ctx.alive()) onFailure(error);
    return;
  }
  onDone();
}
