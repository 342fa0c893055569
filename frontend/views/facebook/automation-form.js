// The "New automation" form of the Automations card: repository picker (the staff member's
// repositories), events, template with a live preview, link, and how the webhook gets to
// GitHub. Registering it needs `admin:repo_hook`: the first time, the API answers
// permission_missing and the form offers the incremental GitHub authorization; the form is
// remembered (sessionStorage) across the trip to GitHub and the create resumes on return.
import { get, post } from "../../api.js";
import { busy, h } from "../../dom.js";
import { goToProvider, setReturnPath, takeGitHubGranted, takeReturnPath } from "../../session.js";
import { errorAlert, fill, notice } from "../common.js";
import { DEFAULT_TEMPLATE, exampleValues, renderTemplate } from "./automation-template.js";
import { ImagePicker } from "./image-picker.js";
import { usableInstallations } from "./github-app.js";

// {body, pending}: the form's values; `pending` while a create waits for GitHub's consent.
const DRAFT_KEY = "oauth-bridge:automation-draft";
const REPO_PAGES = 4; // the picker offers up to 4 pages of repositories; any name can be typed

async function repositoryNames(alive) {
  const names = [];
  for (let page = 1; page <= REPO_PAGES; page += 1) {
    const answer = await get(`me/github/repos?page=${page}`);
    if (!alive()) return names;
    for (const repo of answer?.results ?? []) names.push(repo.full_name);
    if (!answer?.next_page) break;
  }
  return names;
}

/** The remembered form (then forgotten), or null; a damaged entry counts as none. */
function takeDraft() {
  const raw = sessionStorage.getItem(DRAFT_KEY);
  sessionStorage.removeItem(DRAFT_KEY);
  try {
    const draft = JSON.parse(raw ?? "null");
    return draft && typeof draft === "object" ? draft : null;
  } catch {
    return null;
  }
}

function field(id, label, control, hint) {
  return h("div", { class: "field" }, h("label", { for: id }, label), control,
    hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null);
}

export class AutomationForm {
  /** `onCreated(automation, answer)` runs after a 201. */
  constructor(ctx, { onCreated }) {
    this.ctx = ctx;
    this.onCreated = onCreated;
    this.result = h("div", { "aria-live": "polite" });
    this.form = this.build();
    this.element = h("div", { class: "automation-form" }, h("h3", {}, "New automation"),
      this.form, this.result);
  }

  build() {
    const draft = takeDraft();
    // Only a consent that succeeded resumes the create; otherwise the values are just back.
    // (The mark is taken either way: a stale one must not resume a later, cancelled one.)
    const granted = takeGitHubGranted();
    this.pending = Boolean(draft?.pending) && granted;
    this.repository = h("input", { id: "automation-repository", name: "repository", type: "text",
      list: "automation-repositories", autocomplete: "off", required: true,
      placeholder: "owner/name", "aria-describedby": "automation-repository-hint" });
    this.repositories = h("datalist", { id: "automation-repositories" });
    this.template = h("textarea", { id: "automation-template", name: "message_template", rows: 3,
      "aria-describedby": "automation-template-hint" });
    this.link = h("input", { id: "automation-link", name: "link", type: "url",
      placeholder: "https://example.com/changelog" });
    this.tags = h("input", { id: "automation-tags", type: "checkbox" });
    this.manual = h("input", { id: "automation-manual", type: "checkbox" });
    this.manualField = h("div", { class: "field" }, h("label", {}, this.manual,
      " I will add the webhook in GitHub's settings myself"));
    // Shown once the GitHub App has a usable installation (setApp).
    this.mode = h("select", { id: "automation-mode", "aria-describedby": "automation-mode-hint" },
      h("option", { value: "app" }, "The GitHub App (no webhook, no extra permission)"),
      h("option", { value: "github" }, "A webhook registered with my GitHub token"));
    this.modeField = field("automation-mode", "Delivered by", this.mode,
      "App mode picks from the repositories of the installations above.");
    this.modeField.hidden = true;
    this.mode.addEventListener("change", () => this.showMode());
    this.ownNames = [];
    this.installations = [];
    this.restore(draft?.body);
    this.preview = h("p", { class: "automation-preview", id: "automation-preview" });
    for (const input of [this.template, this.repository]) {
      input.addEventListener("input", () => this.updatePreview());
    }
    this.picker = new ImagePicker("automation");
    this.instagram = h("input", { id: "automation-instagram", type: "checkbox" });
    this.instagramField = h("div", { class: "field checkbox" }, h("label", {}, this.instagram,
      " Also on Instagram (needs the image, 4:5 to 1.91:1)"));
    this.instagramField.hidden = true; // shown when the Page has an Instagram account
    get("facebook/page").then((link) => {
      this.instagramField.hidden = !(link?.instagram && link?.instagram_publishing);
    }, () => {});
    this.submitButton = h("button", { type: "submit", class: "btn primary" }, "Create automation");
    const form = h("form", { novalidate: true, "aria-describedby": "automation-trust" },
      this.modeField,
      h("p", { class: "alert warning", id: "automation-trust" },
        "Anyone who can push to this repository can put text on the company Page: release " +
        "names and tags go into the post as they are. Automate only repositories whose " +
        "writers you trust to speak for the Page."),
      field("automation-repository", "Repository", this.repository,
        "One of your repositories, as owner/name."), this.repositories,
      h("div", { class: "field" }, h("label", {}, this.tags,
        " Also post tags pushed without a release")),
      field("automation-template", "Message", this.template,
        "Placeholders: {repository}, {tag}, {name}, {url}, {author}."),
      h("div", { class: "field" }, h("p", { class: "hint" }, "Preview"), this.preview),
      field("automation-link", "Link (optional)", this.link, "Empty: the release's page."),
      this.picker.element, this.instagramField,
      this.manualField,
      h("div", { class: "actions" }, this.submitButton));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.updatePreview();
    repositoryNames(() => this.ctx.alive()).then((names) => {
      this.ownNames = names;
      this.showMode();
    }, () => {}); // the picker is a convenience: typing the name still works
    return form;
  }

  /** The GitHub App state (null: app mode off): offers app mode, the default when usable. */
  setApp(state) {
    const wasShown = !this.modeField.hidden;
    this.installations = usableInstallations(state);
    this.modeField.hidden = this.installations.length === 0;
    if (!this.modeField.hidden && !wasShown) this.mode.value = "app";
    this.showMode();
  }

  appMode() {
    return !this.modeField.hidden && this.mode.value === "app";
  }

  showMode() {
    const app = this.appMode();
    this.manualField.hidden = app;
    const names = app ? this.installations.flatMap((i) => i.repositories) : this.ownNames;
    fill(this.repositories, names.map((name) => h("option", { value: name })));
  }

  /** The installation whose repositories include `repository` (GitHub ignores case). */
  installationFor(repository) {
    const wanted = repository.toLowerCase();
    return this.installations.find((i) => i.repositories.some((r) => r.toLowerCase() === wanted));
  }

  clearResult() {
    fill(this.result);
  }

  /** Put a remembered body back into the form (defaults for what it lacks). */
  restore(body) {
    this.repository.value = body?.repository ?? "";
    this.template.value = body?.message_template ?? DEFAULT_TEMPLATE;
    this.link.value = body?.link ?? "";
    this.tags.checked = Boolean(body?.events?.includes("tag"));
    this.manual.checked = body?.mode === "manual";
  }

  /**
   * Back from GitHub's consent for admin:repo_hook: create the automation the person asked
   * for before leaving, as if they had pressed the button again. Resolves when done.
   */
  async resumePending() {
    if (!this.pending || !this.ctx.alive()) return;
    this.pending = false;
    this.ctx.announce("GitHub access updated. Creating the automation…", "info");
    await this.submit({ resumed: true });
  }

  updatePreview() {
    const { text, unknown } = renderTemplate(this.template.value,
      exampleValues(this.repository.value.trim()));
    this.preview.classList.toggle("invalid", unknown.length > 0);
    this.preview.textContent = unknown.length
      ? `Unknown placeholder ${unknown.join(", ")}` : text || "(empty)";
  }

  body() {
    const repository = this.repository.value.trim();
    const common = {
      repository,
      events: this.tags.checked ? ["release", "tag"] : ["release"],
      message_template: this.template.value,
      ...(this.link.value.trim() ? { link: this.link.value.trim() } : {}),
      ...(this.picker.image ? { image: this.picker.image.id } : {}),
      ...(this.instagram.checked && !this.instagramField.hidden
        ? { targets: ["facebook", "instagram"] } : {}),
    };
    if (this.appMode()) {
      return { ...common, mode: "app", installation: this.installationFor(repository)?.id };
    }
    return { ...common, mode: this.manual.checked ? "manual" : "github" };
  }

  async submit({ resumed = false } = {}) {
    fill(this.result);
    const body = this.body();
    if (body.mode === "app" && !body.installation) {
      fill(this.result, notice("Pick one of the GitHub App's repositories (install the app on "
        + "more repositories to add others).", "error"));
      return;
    }
    let created;
    try {
      created = await busy(this.submitButton, "Creating…", () => post("automations", body));
    } catch (error) {
      if (!this.ctx.alive()) return;
      if (error.code === "permission_missing" && error.body?.missing?.includes("admin:repo_hook")) {
        fill(this.result, this.grantScope(body, { again: resumed }));
      } else {
        fill(this.result, errorAlert(error));
        if (resumed) this.ctx.announce("The automation was not created.", "error");
      }
      return;
    }
    if (!this.ctx.alive()) return;
    this.form.reset();
    this.picker.set(null);
    this.template.value = DEFAULT_TEMPLATE;
    this.updatePreview();
    let done;
    if (created.secret) done = this.manualSetup(created);
    else if (created.hook_mode === "app") {
      done = notice(`Automation created: the GitHub App delivers ${created.repository}'s `
        + "releases.", "success");
    } else {
      done = notice(`Automation created: the webhook is registered on ${created.repository}.`,
        "success");
    }
    fill(this.result, done);
    if (resumed) this.ctx.announce(`Automation created for ${created.repository}.`, "success");
    this.onCreated(created);
  }

  /**
   * Incremental authorization: ask GitHub for admin:repo_hook, then come back here and finish
   * the create (`again`: the consent came back without the scope).
   */
  grantScope(body, { again = false } = {}) {
    const button = h("button", { type: "button", class: "btn github" },
      "Allow webhooks on GitHub");
    const box = h("div", { class: "alert warning", role: "alert" },
      h("p", {}, again
        ? "GitHub still does not let this site manage your repository hooks "
          + "(admin:repo_hook), so the automation was not created. "
        : "To register the webhook, GitHub must let this site manage your repository "
          + "hooks (admin:repo_hook). You only grant this once. ",
      "The automation is created when you come back."),
      h("div", { class: "actions" }, button));
    button.addEventListener("click", async () => {
      setReturnPath("/facebook");
      sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ body, pending: true }));
      try {
        await busy(button, "Redirecting to GitHub…", () => goToProvider("auth/github/authorize",
          { scopes: ["admin:repo_hook"] }));
      } catch (error) {
        takeReturnPath(null);
        takeDraft();
        box.append(errorAlert(error));
      }
    });
    return box;
  }

  /** Manual mode: the payload URL and the secret, shown this once. */
  manualSetup(created) {
    return h("div", { class: "alert success manual-setup" },
      h("p", {}, h("strong", {}, "Add this webhook in the repository's settings on GitHub"),
        " (Settings → Webhooks → Add webhook). The secret is shown only now."),
      h("dl", { class: "facts" },
        h("div", {}, h("dt", {}, "Payload URL"), h("dd", {}, h("code", {}, created.payload_url))),
        h("div", {}, h("dt", {}, "Content type"), h("dd", {}, "application/json")),
        h("div", {}, h("dt", {}, "Secret"), h("dd", {}, h("code", { class: "secret" },
          created.secret))),
        h("div", {}, h("dt", {}, "Events"), h("dd", {}, "Releases (and Branch or tag creation)"))));
  }
}
