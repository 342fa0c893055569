// Pieces shared by the views: error alerts with a retry, sections, definition rows.
import { del } from "../api.js";
import { confirmThenRun, h } from "../dom.js";

/** A role=alert box with the human message and, optionally, a retry button. */
export function errorAlert(error, { onRetry, retryLabel = "Try again" } = {}) {
  const message = error?.message || "Something went wrong. Please try again.";
  const box = h("div", { class: "alert error", role: "alert" }, h("p", {}, message));
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
