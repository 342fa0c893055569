// The "Post history" card of /facebook: every attempt, newest first, a page at a time.
import { get } from "../../api.js";
import { externalLink, h, loading } from "../../dom.js";
import { formatDateTime, timeEl } from "../../format.js";
import { errorAlert, fill, listOf, pager, section } from "../common.js";

const STATUS_WORDS = { published: "Published", scheduled: "Scheduled", failed: "Failed",
  pending: "Pending", queued: "Queued", retrying: "Retrying", unknown: "Checking" };

function reason(item) {
  return item.error_message || item.error_code || "no reason given";
}

/** Attempts, the last error and the next attempt, while a post is being retried or checked. */
function attemptNote(item) {
  if (item.status === "retrying") {
    const next = item.next_attempt_at
      ? ` Next attempt ${formatDateTime(item.next_attempt_at)}.` : "";
    return `Attempt ${item.attempts} failed: ${reason(item)}${next}`;
  }
  if (item.status === "unknown") return "Checking the Page for this post…";
  if (item.status !== "failed") return null;
  return item.attempts > 1 ? `Reason (after ${item.attempts} attempts): ${reason(item)}`
    : `Reason: ${reason(item)}`;
}

/** An automation's post: which automation, repository, tag and GitHub delivery. */
function sourceNote(source) {
  return h("p", { class: "muted post-source" },
    `From automation #${source.automation ?? "(deleted)"}: ${source.repository} `,
    h("strong", {}, source.tag), ` · delivery ${source.delivery_id}`);
}

const TARGET_NAMES = { facebook: "Facebook", instagram: "Instagram" };
const TARGET_WORDS = { ...STATUS_WORDS, waiting_quota: "Waiting for Instagram's daily limit",
  creating: "Creating", processing: "Instagram is processing", publishing: "Publishing" };

/** Each place the post goes: its own status, link and reason. */
function targetList(targets) {
  if (!targets?.length || (targets.length === 1 && targets[0].target === "facebook")) return null;
  return h("ul", { class: "post-targets" }, targets.map((target) => h("li", {
    class: `post-target ${target.target}`, "data-target": target.target },
  h("strong", {}, `${TARGET_NAMES[target.target] ?? target.target}: `),
  h("span", { class: "target-status" }, TARGET_WORDS[target.status] ?? target.status),
  target.permalink ? [" · ", externalLink(target.permalink, "View post")] : null,
  target.status === "failed" || target.status === "waiting_quota"
    ? h("span", { class: target.status === "failed" ? "post-error" : "muted" },
      ` — ${target.error_message || target.error_code || "no reason given"}`)
    : null)));
}

function postItem(item) {
  const status = STATUS_WORDS[item.status] ? item.status : "pending";
  const when = item.status === "scheduled" ? item.scheduled_at
    : (item.completed_at ?? item.created_at);
  return h("li", { class: "post" },
    h("div", { class: "post-head" },
      h("span", { class: `badge ${status}` }, STATUS_WORDS[status]),
      when ? timeEl(when) : null,
      item.created_by ? h("span", { class: "muted" }, ` by ${item.created_by.display_name}`)
        : null),
    h("p", { class: "post-message" }, item.message ?? ""),
    item.image ? h("img", { class: "post-image", src: item.image.url, alt: "", width: 120,
      loading: "lazy" }) : null,
    item.status === "published" && item.facebook_post_id && (item.targets?.length ?? 0) < 2
      ? h("p", { class: "post-link" },
        externalLink(`https://www.facebook.com/${item.facebook_post_id}`, "View on Facebook"))
      : null,
    targetList(item.targets),
    item.link ? h("p", { class: "post-link" }, externalLink(item.link, item.link)) : null,
    item.automation ? sourceNote(item.automation) : null,
    attemptNote(item)
      ? h("p", { class: item.status === "failed" ? "post-error" : "muted" }, attemptNote(item))
      : null);
}

export class PostHistory {
  constructor(ctx) {
    this.ctx = ctx;
    this.region = h("div");
    this.section = section("history", "Post history", this.region);
    this.section.hidden = true;
    this.request = 0; // only the newest answer may fill the card
  }

  show() {
    this.section.hidden = false;
    this.load(1);
  }

  async load(page) {
    const request = ++this.request;
    const latest = () => this.ctx.alive() && request === this.request;
    fill(this.region, loading("Loading the post history…"));
    let answer;
    try {
      answer = await get(`facebook/page/posts?page=${encodeURIComponent(page)}`);
    } catch (error) {
      if (!latest()) return;
      fill(this.region, errorAlert(error, { onRetry: () => this.load(page) }));
      return;
    }
    if (!latest()) return;
    const posts = listOf(answer);
    const hasNext = Boolean(answer?.next);
    const hasPrev = page > 1;
    fill(this.region,
      posts.length ? h("ol", { class: "posts" }, posts.map(postItem))
        : h("p", {}, "Nothing has been posted yet."),
      hasNext || hasPrev
        ? pager("Post history pages", {
          page, hasPrev, hasNext, prevLabel: "Newer", nextLabel: "Older",
          onPrev: () => this.load(page - 1),
          onNext: () => this.load(page + 1),
        }).nav
        : null);
  }
}
