// `/facebook` (staff only): link state in the tutorial's words, connect, Page picker, post form,
// post history, unlink. Non-staff see only "This page is for staff only".
import { ApiError, del, get, post, put } from "../api.js";
import { busy, confirmThenRun, externalLink, formatDateTime, h, loading, timeEl } from "../dom.js";
import { goToProvider, loadMe, setFlash } from "../session.js";
import { errorAlert, facts, fill, notice, pager, section } from "./common.js";

const MESSAGE_MAX = 63206; // Facebook's limit for a Page post message

/** The `results` of a list answer (GET facebook/pages, facebook/page/posts). */
function listOf(answer) {
  return Array.isArray(answer?.results) ? answer.results : [];
}

export function validityWords(token) {
  if (token && token.valid === null) return "Could not check the access token with Facebook right now";
  if (!token || token.valid === false) return "Access token is invalid";
  if (!token.expires_at) return "Access token is valid. It never expires";
  return `Access token is valid. Expires at ${formatDateTime(token.expires_at)}`;
}

function validityClass(token) {
  if (token && token.valid === null) return "unknown";
  return !token || token.valid === false ? "invalid" : "valid";
}

/** The API's token `warnings` (expiring or invalid tokens) as one banner with the way out. */
function warningsBanner(warnings) {
  if (!Array.isArray(warnings) || !warnings.length) return null;
  return h("div", { class: "alert warning token-warnings", id: "token-warnings" },
    h("p", {}, h("strong", {}, "The Facebook link needs attention")),
    h("ul", {}, warnings.map((warning) => h("li", {}, warning.message))),
    connectButton("Reconnect with Facebook"));
}

function connectButton(label) {
  const slot = h("div", { class: "connect" });
  const button = h("button", { type: "button", class: "btn facebook" }, label);
  button.addEventListener("click", async () => {
    slot.querySelector(".alert")?.remove();
    try {
      await busy(button, "Redirecting to Facebook…", () => goToProvider("facebook/authorize"));
    } catch (error) {
      slot.append(errorAlert(error));
    }
  });
  slot.append(button);
  return slot;
}

class FacebookPage {
  constructor(ctx) {
    this.ctx = ctx;
    // Not a live region: the whole card would be read out on every re-render. Outcomes go
    // through #status (ctx.announce) instead.
    this.statusRegion = h("div");
    this.pickerSection = section("picker", "Choose the Page", h("div"));
    this.postSection = section("post", "Post to the Page", h("div"));
    this.historySection = section("history", "Post history", h("div"));
    this.pending = null; // {signature, key}: the Idempotency-Key kept for retries
    // Request counters: only the newest loadPages / loadHistory answer may fill its region.
    this.pagesRequest = 0;
    this.historyRequest = 0;
  }

  mount() {
    this.ctx.main.append(
      section("link", "Connection", this.statusRegion),
      this.pickerSection, this.postSection, this.historySection);
    this.pickerSection.hidden = true;
    this.postSection.hidden = true;
    this.historySection.hidden = true;
  }

  /** After an action re-rendered the card, put keyboard focus at its top. */
  focusConnection() {
    if (!this.ctx.alive()) return;
    const heading = this.ctx.main.querySelector("#link-title");
    heading?.setAttribute("tabindex", "-1");
    heading?.focus();
  }

  region(sectionEl) {
    return sectionEl.querySelector("h2").nextElementSibling;
  }

  async loadLink() {
    fill(this.statusRegion, loading("Checking the Facebook link…"));
    let link;
    try {
      link = await get("facebook/page"); // always 200: {linked: false, ...} when nothing is linked
    } catch (error) {
      if (!this.ctx.alive()) return;
      fill(this.statusRegion, errorAlert(error, { onRetry: () => this.loadLink() }));
      return;
    }
    if (!this.ctx.alive()) return;
    this.link = link;
    this.renderLink();
  }

  renderLink() {
    const link = this.link;
    if (!link?.linked) {
      fill(this.statusRegion,
        h("p", {}, "No Facebook account is connected yet. Connect with Facebook to choose the ",
          "Page this site posts to."),
        connectButton("Connect with Facebook"));
      this.pickerSection.hidden = true;
      this.postSection.hidden = true;
      this.historySection.hidden = false;
      this.loadHistory(1);
      return;
    }
    const { token, page } = link;
    const missing = token?.missing_scopes ?? [];
    const valid = token?.valid !== false;
    const pageToken = link.page_token;
    const relink = link.relink_needed === true || !valid;
    fill(this.statusRegion,
      warningsBanner(link.warnings),
      h("p", { class: `validity ${validityClass(token)}` },
        h("span", { class: "dot", "aria-hidden": "true" }), validityWords(token)),
      relink ? notice("Relink needed: connect with Facebook again.", "warning") : null,
      token?.error_message ? h("p", { class: "muted" }, `Facebook said: ${token.error_message}`)
        : null,
      missing.length
        ? notice(`Missing permissions: ${missing.join(", ")}. Connect again and grant them.`,
          "warning")
        : null,
      facts([
        ["Linked Page", page ? (page.name || page.id) : "No Page chosen yet"],
        ["Page token", pageToken && typeof pageToken.valid === "boolean"
          ? (pageToken.valid ? "Valid" : "Invalid — connect again") : null],
        ["Page token expires", pageToken?.valid
          ? (pageToken.expires_at ? timeEl(pageToken.expires_at) : "Never") : null],
        ["Data access expires", token?.data_access_expires_at
          ? timeEl(token.data_access_expires_at) : null],
        ["Permissions", Array.isArray(token?.scopes) && token.scopes.length
          ? token.scopes.join(", ") : null],
        ["Facebook user", link.facebook_user_id],
        ["Linked by", link.linked_by?.display_name ?? link.linked_by?.username ?? null],
        ["Linked at", link.linked_at ? timeEl(link.linked_at) : null],
      ]),
      h("div", { class: "actions" },
        connectButton(relink ? "Connect with Facebook" : "Reconnect with Facebook"),
        page ? this.changePageButton() : null,
        this.unlinkButton()));
    const needsPage = !page || link.page_selected === false;
    this.pickerSection.hidden = !needsPage;
    if (needsPage) this.loadPages();
    this.postSection.hidden = !page || !valid;
    if (page && valid) this.renderPostForm(page);
    this.historySection.hidden = false;
    this.loadHistory(1);
  }

  changePageButton() {
    const button = h("button", { type: "button", class: "btn" }, "Choose another Page");
    button.addEventListener("click", () => {
      this.pickerSection.hidden = false;
      this.loadPages();
      this.pickerSection.querySelector("h2").scrollIntoView({ block: "start" });
    });
    return button;
  }

  unlinkButton() {
    const button = h("button", { type: "button", class: "btn danger" }, "Unlink");
    button.addEventListener("click", async () => {
      try {
        const done = await confirmThenRun(button, {
          title: "Unlink the Facebook Page?",
          body: "This revokes this site's access at Facebook and forgets the stored tokens. "
            + "Posting stops until someone connects again.",
          confirmLabel: "Unlink",
        }, "Unlinking…", () => del("facebook/page"));
        if (!done) return;
      } catch (error) {
        if (!this.ctx.alive()) return;
        this.statusRegion.append(errorAlert(error));
        return;
      }
      if (!this.ctx.alive()) return;
      this.ctx.announce("The Facebook Page was unlinked.", "success");
      await this.loadLink();
      this.focusConnection();
    });
    return button;
  }

  async loadPages() {
    const region = this.region(this.pickerSection);
    const request = ++this.pagesRequest;
    const latest = () => this.ctx.alive() && request === this.pagesRequest;
    fill(region, loading("Loading the Pages you manage…"));
    let pages;
    try {
      pages = listOf(await get("facebook/pages"));
    } catch (error) {
      if (!latest()) return;
      fill(region, errorAlert(error, { onRetry: () => this.loadPages() }));
      return;
    }
    if (!latest()) return;
    if (!pages.length) {
      fill(region, h("p", {}, "This Facebook account manages no Pages."));
      return;
    }
    const current = pages.find((p) => p.selected)?.id ?? this.link?.page?.id;
    const errors = h("div");
    const submit = h("button", { type: "submit", class: "btn primary" }, "Use this Page");
    const form = h("form", { class: "picker", novalidate: true },
      h("fieldset", {},
        h("legend", {}, "Which Page should this site post to?"),
        pages.map((page, index) => {
          const id = `page-${index}`;
          return h("div", { class: "choice" },
            h("input", { type: "radio", name: "page_id", id, value: page.id, required: true,
              checked: String(page.id) === String(current) }),
            h("label", { for: id }, page.name || page.id,
              page.category ? h("span", { class: "muted" }, ` — ${page.category}`) : null));
        })),
      submit, errors);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const chosen = form.querySelector("input[name=page_id]:checked");
      fill(errors);
      if (!chosen) {
        fill(errors, errorAlert(new Error("Choose a Page first.")));
        return;
      }
      try {
        this.link = await busy(submit, "Saving…",
          () => put("facebook/page", { page_id: chosen.value })) ?? this.link;
      } catch (error) {
        if (!this.ctx.alive()) return;
        fill(errors, errorAlert(error));
        return;
      }
      if (!this.ctx.alive()) return;
      const name = chosen.labels?.[0]?.firstChild?.textContent ?? "the Page";
      this.ctx.announce(`Posts now go to ${name}.`, "success");
      await this.loadLink();
      this.focusConnection();
    });
    fill(region, form);
  }

  renderPostForm(page) {
    const region = this.region(this.postSection);
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
      h("div", { class: "field" }, h("label", { for: "post-when" }, "Schedule (optional)"), when,
        h("p", { class: "hint", id: "post-when-hint" },
          "Leave empty to publish now, or pick a time from 10 minutes to 30 days ahead.")),
      h("div", { class: "actions" }, submit), result);
    when.addEventListener("input", () => {
      submit.textContent = when.value ? "Schedule post" : "Post to Page";
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submitPost({ form, message, link, when, submit, result });
    });
    fill(region, form);
  }

  async submitPost({ form, message, link, when, submit, result }) {
    fill(result);
    this.ctx.announce("");
    const text = message.value.trim();
    if (!text) {
      fill(result, errorAlert(new Error("Write a message first.")));
      message.focus();
      return;
    }
    const body = { message: text };
    if (link.value.trim()) body.link = link.value.trim();
    if (when.value) {
      const date = new Date(when.value);
      if (Number.isNaN(date.getTime())) {
        fill(result, errorAlert(new Error("The schedule is not a valid date and time.")));
        return;
      }
      body.scheduled_at = date.toISOString();
    }
    // Same submission retried (after a network error or server fault) -> same key, so the
    // server publishes at most once; different content -> a new key.
    const signature = JSON.stringify(body);
    if (!this.pending || this.pending.signature !== signature) {
      this.pending = { signature, key: newKey() };
    }
    let answer;
    try {
      answer = await busy(submit, body.scheduled_at ? "Scheduling…" : "Posting…",
        () => post("facebook/page/posts", body, { headers: { "Idempotency-Key": this.pending.key } }));
    } catch (error) {
      // Only when the outcome is unknown (no answer) may the same key be reused: any answer
      // means the server recorded this attempt, and a replay would return the same result.
      const unknown = error instanceof ApiError && error.status === 0;
      if (!unknown) this.pending = null;
      const retry = unknown
        ? { onRetry: () => form.requestSubmit(), retryLabel: "Retry this post" } : {};
      fill(result, errorAlert(error, retry));
      if (!unknown) this.loadHistory(1); // a refused post is recorded with its reason
      return;
    }
    this.pending = null;
    const saved = answer?.post ?? answer ?? {};
    if (saved.status === "failed") {
      fill(result, notice(`Facebook refused the post: ${failureReason(saved)}`, "error"));
    } else if (IN_PROGRESS[saved.status]) {
      // 202: the worker finishes it (retry, or reading the Page); never post it again by hand.
      fill(result, notice(IN_PROGRESS[saved.status], "info"));
      form.reset();
      submit.textContent = "Post to Page";
    } else {
      const words = saved.status === "scheduled"
        ? `Scheduled for ${formatDateTime(saved.scheduled_at) ?? "later"}.` : "Posted to the Page.";
      fill(result, notice(words, "success")); // inside an aria-live region: announced
      form.reset();
      submit.textContent = "Post to Page";
    }
    this.loadHistory(1);
  }

  async loadHistory(page) {
    const region = this.region(this.historySection);
    const request = ++this.historyRequest;
    const latest = () => this.ctx.alive() && request === this.historyRequest;
    fill(region, loading("Loading the post history…"));
    let answer;
    try {
      answer = await get(`facebook/page/posts?page=${encodeURIComponent(page)}`);
    } catch (error) {
      if (!latest()) return;
      fill(region, errorAlert(error, { onRetry: () => this.loadHistory(page) }));
      return;
    }
    if (!latest()) return;
    const posts = listOf(answer);
    const hasNext = Boolean(answer?.next);
    const hasPrev = page > 1;
    fill(region,
      posts.length ? h("ol", { class: "posts" }, posts.map(postItem))
        : h("p", {}, "Nothing has been posted yet."),
      hasNext || hasPrev
        ? pager("Post history pages", {
          page, hasPrev, hasNext, prevLabel: "Newer", nextLabel: "Older",
          onPrev: () => this.loadHistory(page - 1),
          onNext: () => this.loadHistory(page + 1),
        }).nav
        : null);
  }
}

function failureReason(item) {
  return item.error_message || item.failure_reason || item.error?.message || item.error_code
    || "no reason given";
}

const STATUS_WORDS = { published: "Published", scheduled: "Scheduled", failed: "Failed",
  pending: "Pending", queued: "Queued", retrying: "Retrying", unknown: "Checking" };
// What a 202 means to the person who posted (the history shows the outcome later).
const IN_PROGRESS = {
  queued: "Queued: it will be posted in a moment.",
  retrying: "Facebook had a temporary problem: the post will be retried automatically.",
  unknown: "Facebook did not answer in time: we are checking the Page to see whether it was "
    + "published. Do not post it again.",
};

function attemptNote(item) {
  if (item.status === "retrying") {
    const next = item.next_attempt_at ? ` Next attempt ${formatDateTime(item.next_attempt_at)}.` : "";
    return `Attempt ${item.attempts} failed: ${failureReason(item)}.${next}`;
  }
  if (item.status === "unknown") return "Checking the Page for this post…";
  if (item.status === "failed" && item.attempts > 1) {
    return `Reason (after ${item.attempts} attempts): ${failureReason(item)}`;
  }
  return item.status === "failed" ? `Reason: ${failureReason(item)}` : null;
}

function postItem(item) {
  const status = STATUS_WORDS[item.status] ? item.status : "pending";
  const when = item.status === "scheduled" ? item.scheduled_at
    : (item.completed_at ?? item.created_at);
  return h("li", { class: "post" },
    h("div", { class: "post-head" },
      h("span", { class: `badge ${status}` }, STATUS_WORDS[status]),
      when ? timeEl(when) : null,
      item.created_by ? h("span", { class: "muted" },
        ` by ${item.created_by?.display_name ?? item.created_by?.username}`) : null),
    h("p", { class: "post-message" }, item.message ?? ""),
    item.link ? h("p", { class: "post-link" }, externalLink(item.link, item.link)) : null,
    attemptNote(item)
      ? h("p", { class: item.status === "failed" ? "post-error" : "muted" }, attemptNote(item))
      : null);
}

function newKey() {
  if (window.crypto?.randomUUID) return window.crypto.randomUUID();
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function renderFacebook(ctx) {
  const heading = h("h1", {}, "Facebook Page");
  const body = h("div", {}, loading("Checking your access…"));
  ctx.main.append(heading, body);
  let me;
  try {
    me = await loadMe({ fresh: true });
  } catch (error) {
    if (ctx.alive()) fill(body, errorAlert(error, { onRetry: () => ctx.navigate("/facebook", { replace: true }) }));
    return;
  }
  if (!ctx.alive()) return;
  if (!me) {
    setFlash("Please sign in first.", "info");
    ctx.navigate("/", { replace: true });
    return;
  }
  if (!me.is_staff) {
    heading.textContent = "This page is for staff only";
    document.title = "This page is for staff only — OAuth Bridge";
    fill(body, h("p", {}, h("a", { href: "/profile", "data-link": true }, "Back to your profile")));
    return;
  }
  body.remove();
  const page = new FacebookPage(ctx);
  page.mount();
  await page.loadLink();
}
