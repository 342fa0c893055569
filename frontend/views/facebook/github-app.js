// The GitHub App part of the Automations card: "Install the GitHub App" (when the server has
// app mode configured) and the connected installations with their repositories. The form
// (automation-form.js) offers those repositories for app-mode automations.
import { get, post } from "../../api.js";
import { busy, h } from "../../dom.js";
import { errorAlert, fill } from "../common.js";

/** Installations that can deliver now (not suspended). */
export function usableInstallations(state) {
  return (state?.installations ?? []).filter((installation) => !installation.suspended);
}

export class GitHubApp {
  constructor(ctx) {
    this.ctx = ctx;
    this.state = null;
    this.element = h("div", { class: "github-app", hidden: true });
  }

  /** Loads the app state; answers it (null when app mode is off or unreadable). */
  async load() {
    let state;
    try {
      state = await get("github/app");
    } catch (error) {
      if (this.ctx.alive()) {
        this.element.hidden = false;
        fill(this.element, errorAlert(error, { onRetry: () => this.load() }));
      }
      return null;
    }
    if (!this.ctx.alive()) return null;
    this.state = state.configured ? state : null;
    this.element.hidden = !state.configured;
    if (state.configured) this.render(state);
    return this.state;
  }

  render(state) {
    const errors = h("div");
    const install = h("button", { type: "button", class: "btn github" },
      "Install the GitHub App");
    install.addEventListener("click", async () => {
      fill(errors);
      try {
        await busy(install, "Redirecting to GitHub…", async () => {
          const { install_url: url } = await post("github/app/install", {});
          window.location.assign(url);
        });
      } catch (error) {
        if (this.ctx.alive()) fill(errors, errorAlert(error));
      }
    });
    const list = state.installations.length
      ? h("ul", { class: "installations" }, state.installations.map((i) => h("li", {
        class: "installation", "data-id": i.id },
      h("strong", {}, i.account), " ",
      h("span", { class: "muted" }, i.account_type === "Organization" ? "organisation" : "user"),
      i.suspended ? h("span", { class: "badge failed" }, "Suspended") : null,
      h("p", { class: "muted" }, i.repositories.length
        ? `Repositories: ${i.repositories.join(", ")}` : "No repository"))))
      : h("p", { class: "muted" }, "Not installed on any account yet.");
    fill(this.element,
      h("h3", {}, "GitHub App"),
      h("p", {}, "Recommended: an account installs the app once on the repositories it "
        + "chooses; releases reach this site without a webhook or anyone's personal token."),
      list, h("div", { class: "actions" }, install), errors);
  }
}
