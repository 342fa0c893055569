// Tiny DOM helpers. Text always goes in through textContent / text nodes, never innerHTML:
// server and provider text is untrusted.

/** Create an element: h("p", {class: "x", onClick: fn}, "text", child, [more]). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value == null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = String(value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, ...children);
  return el;
}

export function append(el, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

/** Only http(s) URLs become links: never javascript:, data: or relative tricks from a provider. */
export function safeUrl(value) {
  if (typeof value !== "string" || !value) return null;
  try {
    const url = new URL(value, window.location.origin);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

/** An outside link (provider pages): new tab, no opener, no referrer. */
export function externalLink(url, ...children) {
  const href = safeUrl(url);
  if (!href) return h("span", {}, ...children);
  return h("a", { href, target: "_blank", rel: "noopener noreferrer" }, ...children);
}

export function loading(text = "Loading…") {
  return h("p", { class: "loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), text);
}

/**
 * Disable a button while `work` runs, then restore it. Disabling drops focus to <body>, so a
 * button that had focus gets it back (when it is still in the document).
 */
export async function busy(button, label, work) {
  const original = button.textContent;
  const hadFocus = document.activeElement === button;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  if (label) button.textContent = label;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = original;
    if (hadFocus && button.isConnected && document.activeElement !== button) {
      const active = document.activeElement;
      // Only take focus back if nothing else claimed it meanwhile.
      if (!active || active === document.body) button.focus();
    }
  }
}

/**
 * Ask first, then run `work` with the button busy. Resolves false (focus back on the button)
 * when the person cancels; errors from `work` propagate to the caller.
 */
export async function confirmThenRun(button, dialog, busyLabel, work) {
  if (!(await confirmDialog(dialog))) {
    button.focus();
    return false;
  }
  await busy(button, busyLabel, work);
  return true;
}

/** A modal confirmation built on <dialog>; resolves true when confirmed. */
export function confirmDialog({ title, body, confirmLabel, cancelLabel = "Cancel", danger = true }) {
  return new Promise((resolve) => {
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const bodyId = `${titleId}-body`;
    const confirmBtn = h("button", { type: "button", class: danger ? "btn danger" : "btn primary" },
      confirmLabel);
    const cancelBtn = h("button", { type: "button", class: "btn" }, cancelLabel);
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": titleId,
      "aria-describedby": bodyId },
      h("h2", { id: titleId }, title),
      h("p", { id: bodyId }, body),
      h("div", { class: "actions" }, cancelBtn, confirmBtn));
    let result = false;
    confirmBtn.addEventListener("click", () => { result = true; dialog.close(); });
    cancelBtn.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => { dialog.remove(); resolve(result); });
    document.body.append(dialog);
    dialog.showModal();
    cancelBtn.focus();
  });
}
