// The "Choose the Page" card of /facebook: Pages the linked user can post to, live from Facebook.
import { get, put } from "../../api.js";
import { busy, h, loading } from "../../dom.js";
import { errorAlert, fill, listOf, section } from "../common.js";

export class PagePicker {
  /** `onChosen` runs after the server stored the chosen Page. */
  constructor(ctx, { onChosen }) {
    this.ctx = ctx;
    this.onChosen = onChosen;
    this.region = h("div");
    this.section = section("picker", "Choose the Page", this.region);
    this.section.hidden = true;
    this.request = 0; // only the newest answer may fill the card
  }

  hide() {
    this.section.hidden = true;
  }

  show(currentId) {
    this.section.hidden = false;
    this.load(currentId);
  }

  async load(currentId) {
    const request = ++this.request;
    const latest = () => this.ctx.alive() && request === this.request;
    fill(this.region, loading("Loading the Pages you manage…"));
    let pages;
    try {
      pages = listOf(await get("facebook/pages"));
    } catch (error) {
      if (!latest()) return;
      fill(this.region, errorAlert(error, { onRetry: () => this.load(currentId) }));
      return;
    }
    if (!latest()) return;
    if (!pages.length) {
      fill(this.region, h("p", {}, "This Facebook account manages no Pages."));
      return;
    }
    fill(this.region, this.form(pages, pages.find((p) => p.selected)?.id ?? currentId));
  }

  form(pages, current) {
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
        await busy(submit, "Saving…", () => put("facebook/page", { page_id: chosen.value }));
      } catch (error) {
        if (!this.ctx.alive()) return;
        fill(errors, errorAlert(error));
        return;
      }
      if (!this.ctx.alive()) return;
      const name = chosen.labels?.[0]?.firstChild?.textContent ?? "the Page";
      this.ctx.announce(`Posts now go to ${name}.`, "success");
      await this.onChosen();
    });
    return form;
  }
}
