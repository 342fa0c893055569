// An image for a post or an automation: pick a file, upload it to /media (checked and re-encoded
// by the server), show the stored picture as a preview, or the server's reason for refusing it.
import { upload } from "../../api.js";
import { busy, h } from "../../dom.js";
import { errorAlert, fill } from "../common.js";

const MAX_BYTES = 8 * 1024 * 1024;

export class ImagePicker {
  /** `id` prefixes the elements' ids; `onChange(image|null)` follows the chosen image. */
  constructor(id, { onChange = () => {}, initial = null } = {}) {
    this.image = initial;
    this.onChange = onChange;
    this.input = h("input", { id: `${id}-image`, name: "image", type: "file",
      accept: "image/jpeg,image/png", "aria-describedby": `${id}-image-hint` });
    this.status = h("div", { class: "image-status", "aria-live": "polite" });
    this.clear = h("button", { type: "button", class: "btn small" }, "Remove image");
    this.clear.hidden = !initial;
    this.element = h("div", { class: "field image-picker" },
      h("label", { for: `${id}-image` }, "Image (optional)"), this.input,
      h("p", { class: "hint", id: `${id}-image-hint` },
        "A JPEG or PNG of at most 8 MB. Location and other metadata are removed."),
      this.status, this.clear);
    this.input.addEventListener("change", () => this.pick());
    this.clear.addEventListener("click", () => this.set(null));
    if (initial) this.preview(initial);
  }

  async pick() {
    const file = this.input.files?.[0];
    if (!file) return;
    if (file.size > MAX_BYTES) {
      fill(this.status, errorAlert(new Error("That image is too large (at most 8 MB).")));
      this.input.value = "";
      return;
    }
    fill(this.status, h("p", { class: "muted" }, "Uploading…"));
    try {
      const image = await busy(this.input, null, () => upload("media", file));
      this.set(image);
    } catch (error) {
      this.input.value = "";
      this.image = null;
      this.onChange(null);
      fill(this.status, errorAlert(error));
    }
  }

  set(image) {
    this.image = image;
    this.clear.hidden = !image;
    if (!image) {
      this.input.value = "";
      fill(this.status);
    } else {
      this.preview(image);
    }
    this.onChange(image);
  }

  preview(image) {
    fill(this.status, h("figure", { class: "image-preview" },
      h("img", { src: image.url, alt: "The image to post", width: Math.min(image.width, 240),
        loading: "lazy" }),
      h("figcaption", { class: "muted" },
        `${image.width}×${image.height}, ${Math.round(image.bytes / 1024)} KB JPEG`)));
  }

  /** Instagram's range, for the toggle's hint. */
  fitsInstagram() {
    if (!this.image) return false;
    const ratio = this.image.width / this.image.height;
    return ratio >= 0.8 && ratio <= 1.91;
  }
}
