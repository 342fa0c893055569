// The "Post to the Page" card of /facebook. A retried submission keeps its Idempotency-Key, so
// the server publishes it at most once.
import { ApiError, post } from "../../api.js";
import { busy, h } from "../../dom.js";
import { formatDateTime } from "../../format.js";
import { errorAlert, fill, notice, section } from "../common.js";
import { ImagePicker } from "./image-picker.js";

// What a 202 means to the person who posted; the history shows the outcome later.
const IN_PROGRESS = {
  queued: "Queued: it will be posted in a moment.",
  retrying: "Facebook had a temporary problem: the post will be retried automatically.",
  unknown: "Facebook did not answer in time: we are checking the Page to see whether it was "
    + "published. Do not post it again.",
};

const MESSAGE_MAX = 63206; // Facebook's limit for a Page post message

function newKey() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID();
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The post body from the form's fields, or an Error to show. */
function postBody({ message, link, when, picker, instagram }) {
  const text = message.value.trim();
  if (!text) return new Error("Write a message first.");
  const body = { message: text };
  if (link.value.trim()) body.link = link.value.trim();
  if (picker.image) body.image = picker.image.id;
  if (instagram?.checked) {
    if (!picker.image) return new Error("Instagram needs an image: choose one first.");
    if (when.value) return new Error("Instagram posts cannot be scheduled: post now, or leave Instagram out.");
    body.targets = ["facebook", "instagram"];
  }
  if (when.value) {
    const date = new Date(when.value);
    if (Number.isNaN(date.getTime())) return new Error("The schedule is not a valid date and time.");
    body.scheduled_at = date.toISOString();
  }
  return body;
}

export class PostForm {
  /** `onRecorded` runs whenever the server recorded an attempt (published, scheduled, refused). */
  constructor(ctx, { onRecorded }) {
    this.ctx = ctx;
    this.onRecorded = onRecorded;
    this.region = h("div");
    this.section = section("post", "Post to the Page", this.region);
    this.section.hidden = true;
    this.pending = null; // {signature, key}: the Idempotency-Key kept for retries
  }

  hide() {
    this.section.hidden = true;
  }

  /** `link` is the link state: the Instagram toggle shows only when the Page has an account
   * this site may publish to. */
  show(page, state = {}) {
    this.section.hidden = false;
    const canInstagram = Boolean(state.instagram && state.instagram_publishing);
    const instagram = canInstagram
      ? h("input", { id: "post-instagram", name: "instagram", type: "checkbox",
        "aria-describedby": "post-instagram-hint" })
      : null;
    const instagramHint = h("p", { class: "hint", id: "post-instagram-hint" },
      "Needs an image from 4:5 to 1.91:1; posted now, not scheduled.");
    const picker = new ImagePicker("post", {
      onChange: () => {
        if (instagram && picker.image && !picker.fitsInstagram()) {
          instagramHint.textContent = "This image's shape is outside what Instagram takes "
            + "(4:5 to 1.91:1).";
        } else {
          instagramHint.textContent = "Needs an image from 4:5 to 1.91:1; posted now, not scheduled.";
        }
      },
    });
    const result = h("div", { "aria-live": "polite" });
    const message = h("textarea", { id: "post-message", name: "message", rows: 4, required: true,
      maxlength: MESSAGE_MAX });
    const link = h("input", { id: "post-link", name: "link", type: "url", inputmode: "url",
      placeholder: "https://example.com/news", "aria-describedby": "post-link-hint" });
    const when = h("input", { id: "post-when", name: "scheduled_at", type: "datetime-local",
      "aria-describedby": "post-when-hint" });
    const submit = h("button", { type: "submit", class: "btn primary" }, "Post to Page");
    const form = h("form", { class: "post-form", novalidate: true },
      h("p", {}, "Posting to ", h("strong", {}, page.name || page.id), "."),
      h("div", { class: "field" }, h("label", { for: "post-message" }, "Message"), message),
      h("div", { class: "field" }, h("label", { for: "post-link" }, "Link (optional)"), link,
        h("p", { class: "hint", id: "post-link-hint" }, "An http or https address.")),
      picker.element,
      instagram
        ? h("div", { class: "field checkbox" }, instagram,
          h("label", { for: "post-instagram" }, "Also on Instagram ",
            h("span", { class: "muted" }, `(@${state.instagram.username ?? state.instagram.id})`)),
          instagramHint)
        : null,
      h("div", { class: "field" }, h("label", { for: "post-when" }, "Schedule (optional)"), when,
        h("p", { class: "hint", id: "post-when-hint" },
          "Leave empty to publish now, or pick a time from 10 minutes to 30 days ahead.")),
      h("div", { class: "actions" }, submit), result);
    when.addEventListener("input", () => {
      submit.textContent = when.value ? "Schedule post" : "Post to Page";
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit({ form, message, link, when, submit, result, picker, instagram });
    });
    fill(this.region, form);
  }

  async submit({ form, message, link, when, submit, result, picker, instagram }) {
    fill(result);
    this.ctx.announce("");
    const body = postBody({ message, link, when, picker, instagram });
    if (body instanceof Error) {
      fill(result, errorAlert(body));
      if (!message.value.trim()) message.focus();
      return;
    }
    // Same submission retried (after a network error or server fault) -> same key, so the
    // server publishes at most once; different content -> a new key.
    const signature = JSON.stringify(body);
    if (!this.pending || this.pending.signature !== signature) {
      this.pending = { signature, key: newKey() };
    }
    let saved;
    try {
      saved = await busy(submit, body.scheduled_at ? "Scheduling…" : "Posting…",
        () => post("facebook/page/posts", body, { headers: { "Idempotency-Key": this.pending.key } }));
    } catch (error) {
      // Only when the outcome is unknown (no answer, or the first request still sending) may
      // the same key be reused: any other answer means the server recorded this attempt, and a
      // replay would return the same result.
      const unknown = error instanceof ApiError
        && (error.status === 0 || error.code === "idempotency_in_progress");
      if (!unknown) this.pending = null;
      const retry = unknown
        ? { onRetry: () => form.requestSubmit(), retryLabel: "Retry this post" } : {};
      fill(result, errorAlert(error, retry));
      if (!unknown) this.onRecorded(); // a refused post is recorded with its reason
      return;
    }
    this.pending = null;
    if (saved.status === "failed") {
      fill(result, notice(`Facebook refused the post: ${saved.error_message || saved.error_code || "no reason given"}`,
        "error"));
    } else if (IN_PROGRESS[saved.status]) {
      // 202: the worker finishes it (a retry, or reading the Page); never post it again by hand.
      fill(result, notice(IN_PROGRESS[saved.status], "info"));
      form.reset();
      picker.set(null);
      submit.textContent = "Post to Page";
    } else {
      const words = saved.status === "scheduled"
        ? `Scheduled for ${formatDateTime(saved.scheduled_at) ?? "later"}.` : "Posted to the Page.";
      const more = (saved.targets ?? []).some((t) => t.target === "instagram")
        ? " Instagram follows in a moment: see the history." : "";
      fill(result, notice(words + more, "success")); // inside an aria-live region: announced
      form.reset();
      picker.set(null);
      submit.textContent = "Post to Page";
    }
    this.onRecorded();
  }
}
