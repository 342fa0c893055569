// The Connection card of /facebook: the link state in the tutorial's words, connect, change
// Page, unlink. It decides which of the other cards show.
import { get } from "../../api.js";
import { h, loading } from "../../dom.js";
import { formatDateTime, timeEl } from "../../format.js";
import {
  confirmedDelete, errorAlert, facts, fill, notice, providerButton, section,
} from "../common.js";

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

function connectButton(label) {
  return providerButton({
    label, authorizePath: "facebook/authorize", working: "Redirecting to Facebook…",
    slotClass: "connect", buttonClass: "facebook",
  });
}

const TOKEN_NAMES = { user_token: "Facebook login", page_token: "Page token" };

/**
 * One warning in words, its date formatted like every other date here (format.js). The
 * server's `message` (worded for e-mail, in the server's time zone) is the fallback for a
 * code this SPA does not know.
 */
function warningWords(warning) {
  const name = TOKEN_NAMES[warning.token] ?? "token";
  const when = warning.expires_at ? timeEl(warning.expires_at) : null;
  switch (warning.code) {
    case "token_invalid":
      return [`Facebook no longer accepts the ${name} of the Page link: reconnect with `
        + "Facebook, or posts to the Page fail."];
    case "token_expiring":
      if (!when) break;
      return [`The ${name} of the Page link expires on `, when, ": reconnect with Facebook "
        + "before then, or posts to the Page stop."];
    case "data_access_expiring":
      if (!when) break;
      return ["Facebook data access for the Page link expires on ", when, ": reconnect with "
        + "Facebook to renew it."];
    default:
      break;
  }
  return [warning.message];
}

/** Incremental: the same link flow, asking Facebook for the two Instagram permissions too. */
export function connectInstagramButton(label = "Connect Instagram") {
  return providerButton({
    label, authorizePath: "facebook/authorize", working: "Redirecting to Facebook…",
    slotClass: "connect-instagram", buttonClass: "", body: { instagram: true },
  });
}

/** Whether posts may also go to Instagram, and how to allow it when not. */
function instagramFacts(link) {
  if (!link.page) return null;
  if (link.instagram && link.instagram_publishing) {
    return h("p", { class: "instagram-state" }, "Instagram: ",
      h("strong", {}, `@${link.instagram.username ?? link.instagram.id}`),
      " (posts with an image can go there too).");
  }
  return h("div", { class: "instagram-state" },
    h("p", { class: "muted" }, link.instagram
      ? `Instagram @${link.instagram.username ?? link.instagram.id} is linked to the Page; `
        + "allow this site to publish there:"
      : "Instagram: connect it to publish posts with an image on the Page's Instagram "
        + "professional account too (if it has one)."),
    connectInstagramButton());
}

/** The API's token `warnings` (expiring or invalid tokens) as one banner with the way out. */
function warningsBanner(warnings) {
  if (!warnings?.length) return null;
  return h("div", { class: "alert warning token-warnings", id: "token-warnings" },
    h("p", {}, h("strong", {}, "The Facebook link needs attention")),
    h("ul", {}, warnings.map((warning) => h("li", {}, warningWords(warning)))),
    connectButton("Reconnect with Facebook"));
}

function linkFacts(link) {
  const { token, page } = link;
  const pageToken = link.page_token;
  return facts([
    ["Linked Page", page ? (page.name || page.id) : "No Page chosen yet"],
    ["Page token", pageToken && typeof pageToken.valid === "boolean"
      ? (pageToken.valid ? "Valid" : "Invalid — connect again") : null],
    ["Page token expires", pageToken?.valid
      ? (pageToken.expires_at ? timeEl(pageToken.expires_at) : "Never") : null],
    ["Data access expires", token?.data_access_expires_at
      ? timeEl(token.data_access_expires_at) : null],
    ["Permissions", token?.scopes?.length ? token.scopes.join(", ") : null],
    ["Facebook user", link.facebook_user_id],
    ["Linked by", link.linked_by?.display_name ?? null],
    ["Linked at", link.linked_at ? timeEl(link.linked_at) : null],
  ]);
}

export class Connection {
  /** `picker`, `postForm` and `history` are the other cards: this one shows or hides them. */
  constructor(ctx, { picker, postForm, history }) {
    this.ctx = ctx;
    Object.assign(this, { picker, postForm, history });
    // Not a live region: the whole card would be read out on every re-render. Outcomes go
    // through #status (ctx.announce) instead.
    this.region = h("div");
    this.section = section("link", "Connection", this.region);
  }

  /** Reload after an action re-rendered the card, then put keyboard focus at its top. */
  async reloadAndFocus() {
    await this.load();
    if (!this.ctx.alive()) return;
    const heading = this.section.querySelector("#link-title");
    heading?.setAttribute("tabindex", "-1");
    heading?.focus();
  }

  async load() {
    fill(this.region, loading("Checking the Facebook link…"));
    let link;
    try {
      link = await get("facebook/page"); // always 200: {linked: false, ...} when nothing is linked
    } catch (error) {
      if (!this.ctx.alive()) return;
      fill(this.region, errorAlert(error, { onRetry: () => this.load() }));
      return;
    }
    if (!this.ctx.alive()) return;
    if (link.linked) this.renderLinked(link);
    else this.renderUnlinked();
    this.history.show();
  }

  renderUnlinked() {
    fill(this.region,
      h("p", {}, "No Facebook account is connected yet. Connect with Facebook to choose the ",
        "Page this site posts to."),
      connectButton("Connect with Facebook"));
    this.picker.hide();
    this.postForm.hide();
  }

  renderLinked(link) {
    const { token, page } = link;
    const missing = token?.missing_scopes ?? [];
    const valid = token?.valid !== false;
    const relink = link.relink_needed === true || !valid;
    fill(this.region,
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
      linkFacts(link),
      instagramFacts(link),
      h("div", { class: "actions" },
        connectButton(relink ? "Connect with Facebook" : "Reconnect with Facebook"),
        page ? this.changePageButton(page) : null,
        this.unlinkButton()));
    if (!page || link.page_selected === false) this.picker.show(page?.id);
    else this.picker.hide();
    if (page && valid) this.postForm.show(page, link);
    else this.postForm.hide();
  }

  changePageButton(page) {
    const button = h("button", { type: "button", class: "btn" }, "Choose another Page");
    button.addEventListener("click", () => {
      this.picker.show(page.id);
      this.picker.section.querySelector("h2").scrollIntoView({ block: "start" });
    });
    return button;
  }

  unlinkButton() {
    return confirmedDelete({
      label: "Unlink", working: "Unlinking…", path: "facebook/page",
      dialog: {
        title: "Unlink the Facebook Page?",
        body: "This revokes this site's access at Facebook and forgets the stored tokens. "
          + "Posting stops until someone connects again.",
        confirmLabel: "Unlink",
      },
      onError: (error) => {
        if (this.ctx.alive()) this.region.append(errorAlert(error));
      },
      onDone: async () => {
        if (!this.ctx.alive()) return;
        this.ctx.announce("The Facebook Page was unlinked.", "success");
        await this.reloadAndFocus();
      },
    });
  }
}
