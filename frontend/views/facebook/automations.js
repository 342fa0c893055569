// The "Automations" card of /facebook: releases on chosen GitHub repositories become Page
// posts. The list (enable/disable, delete, the last deliveries and their outcome) and the
// form to create one (automation-form.js).
import { api, get } from "../../api.js";
import { busy, h, loading } from "../../dom.js";
import { timeEl } from "../../format.js";
import { confirmedDelete, errorAlert, fill, section } from "../common.js";
import { AutomationForm } from "./automation-form.js";
import { GitHubApp } from "./github-app.js";

const OUTCOMES = { ping: "Ping", queued: "Post queued", ignored: "Ignored",
  disabled: "Ignored (disabled)", failed: "Failed", updated: "Installation change" };
const DISABLED_REASONS = {
  installation_deleted: "Disabled: the GitHub App was uninstalled from this account.",
  installation_suspended: "Disabled: the GitHub App installation is suspended.",
  repository_removed: "Disabled: the repository was removed from the GitHub App installation.",
};

function deliveryMode(automation) {
  if (automation.hook_mode === "app") return "delivered by the GitHub App";
  if (automation.hook_mode === "manual") return "webhook added by hand";
  return automation.hook_registered ? "webhook registered" : "no webhook";
}

// A delivery that queued a post shows what became of the post (`post_status`, read now): a
// post that failed after it was queued must not still say "Post queued".
const POST_WORDS = { queued: "Post queued", pending: "Posting", retrying: "Post retrying",
  unknown: "Checking the post", published: "Post published", scheduled: "Post scheduled",
  failed: "Post failed" };

/** [badge class, words] for a delivery. */
function deliveryBadge(delivery) {
  if (delivery.outcome === "queued" && POST_WORDS[delivery.post_status]) {
    return [delivery.post_status, POST_WORDS[delivery.post_status]];
  }
  const outcome = OUTCOMES[delivery.outcome] ? delivery.outcome : "failed";
  return [outcome, OUTCOMES[outcome]];
}

function deliveryItem(delivery) {
  const [kind, words] = deliveryBadge(delivery);
  return h("li", { class: "delivery" },
    h("span", { class: `badge ${kind}` }, words), " ",
    delivery.tag ? h("strong", {}, delivery.tag) : delivery.event, " ",
    timeEl(delivery.last_received_at),
    delivery.times_received > 1
      ? h("span", { class: "muted" }, ` · received ${delivery.times_received} times`) : null,
    delivery.detail ? h("span", { class: "muted" }, ` · ${delivery.detail}`) : null,
    h("span", { class: "muted delivery-id" }, ` · ${delivery.delivery_id}`));
}

export class Automations {
  /** `onPosted` reloads the post history (a delivery may have queued a post). */
  constructor(ctx, { onPosted }) {
    this.ctx = ctx;
    this.onPosted = onPosted;
    this.list = h("div");
    this.refreshButton = h("button", { type: "button", class: "btn" }, "Refresh");
    this.refreshButton.addEventListener("click", () => busy(this.refreshButton, "Refreshing…",
      async () => { await this.load(); this.onPosted(); }));
    this.form = new AutomationForm(ctx, { onCreated: () => this.load() });
    this.app = new GitHubApp(ctx);
    this.section = section("automations", "Automations",
      h("p", {}, "A release published on one of these repositories is posted to the Page, once."),
      this.list, h("div", { class: "actions" }, this.refreshButton), this.app.element,
      this.form.element);
  }

  /** The first load; then a create that waited for GitHub's consent is finished. */
  async start() {
    await this.load();
    await this.form.resumePending();
  }

  async load() {
    await Promise.all([this.loadList(), this.app.load().then((state) => {
      if (this.ctx.alive()) this.form.setApp(state);
    })]);
  }

  async loadList() {
    if (!this.list.firstChild) fill(this.list, loading("Loading the automations…"));
    let automations;
    try {
      automations = await get("automations");
    } catch (error) {
      if (this.ctx.alive()) fill(this.list, errorAlert(error, { onRetry: () => this.load() }));
      return;
    }
    if (!this.ctx.alive()) return;
    fill(this.list, automations.length
      ? h("ul", { class: "automations" }, automations.map((a) => this.item(a)))
      : h("p", { class: "muted" }, "No automation yet."));
  }

  item(automation) {
    const errors = h("div");
    const toggle = h("button", { type: "button", class: "btn" },
      automation.enabled ? "Disable" : "Enable");
    toggle.addEventListener("click", async () => {
      fill(errors);
      try {
        await busy(toggle, automation.enabled ? "Disabling…" : "Enabling…",
          () => api("PATCH", `automations/${automation.id}`,
            { body: { enabled: !automation.enabled } }));
      } catch (error) {
        if (this.ctx.alive()) fill(errors, errorAlert(error));
        return;
      }
      if (!this.ctx.alive()) return;
      this.ctx.announce(`Automation ${automation.enabled ? "disabled" : "enabled"}.`, "success");
      await this.load();
    });
    const remove = confirmedDelete({
      label: "Delete", working: "Deleting…", path: `automations/${automation.id}`,
      dialog: { title: `Delete the automation of ${automation.repository}?`,
        body: "Its webhook is removed from GitHub; later releases are not posted.",
        confirmLabel: "Delete" },
      onStart: () => fill(errors),
      onError: (error) => { if (this.ctx.alive()) fill(errors, errorAlert(error)); },
      onDone: async () => {
        if (!this.ctx.alive()) return;
        this.ctx.announce("The automation was deleted.", "success");
        this.form.clearResult();
        await this.load();
      },
    });
    const deliveries = automation.recent_deliveries ?? [];
    return h("li", { class: "automation", "data-id": automation.id },
      h("div", { class: "post-head" },
        h("strong", {}, automation.repository),
        h("span", { class: `badge ${automation.enabled ? "published" : ""}` },
          automation.enabled ? "Enabled" : "Disabled"),
        h("span", { class: "muted" }, deliveryMode(automation))),
      automation.disabled_reason
        ? h("p", { class: "alert warning disabled-reason" },
          DISABLED_REASONS[automation.disabled_reason] ?? automation.disabled_reason)
        : null,
      h("p", { class: "post-message" }, automation.message_template),
      h("p", { class: "muted" }, `Events: ${automation.events.join(", ")}`,
        automation.created_by ? ` · created by ${automation.created_by.display_name}` : ""),
      deliveries.length
        ? h("div", {}, h("p", { class: "hint" }, "Last deliveries"),
          h("ul", { class: "deliveries" }, deliveries.map(deliveryItem)))
        : h("p", { class: "muted" }, "No delivery yet."),
      h("div", { class: "actions" }, toggle, remove), errors);
  }
}
