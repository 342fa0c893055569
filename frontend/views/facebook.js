// `/facebook` (staff only): five cards, one module each under views/facebook/: the connection
// (link state, connect, unlink), the Page picker, the post form, the post history and the
// release automations.
// Non-staff see only "This page is for staff only".
import { h, loading } from "../dom.js";
import { fill, signedInUser } from "./common.js";
import { Automations } from "./facebook/automations.js";
import { Connection } from "./facebook/connection.js";
import { PagePicker } from "./facebook/page-picker.js";
import { PostForm } from "./facebook/post-form.js";
import { PostHistory } from "./facebook/post-history.js";

function mountCards(ctx) {
  const history = new PostHistory(ctx);
  const postForm = new PostForm(ctx, { onRecorded: () => history.load(1) });
  const picker = new PagePicker(ctx, { onChosen: () => connection.reloadAndFocus() });
  const connection = new Connection(ctx, { picker, postForm, history });
  const automations = new Automations(ctx, { onPosted: () => history.load(1) });
  ctx.main.append(connection.section, picker.section, postForm.section, history.section,
    automations.section);
  return { load: () => Promise.all([connection.load(), automations.start()]) };
}

export async function renderFacebook(ctx) {
  const heading = h("h1", {}, "Facebook Page");
  const body = h("div", {}, loading("Checking your access…"));
  ctx.main.append(heading, body);
  const me = await signedInUser(ctx, body, "/facebook");
  if (!me) return;
  if (!me.can_manage_facebook_page) {
    // Staff too need the Page permission (the API answers 403 without it).
    const words = me.is_staff ? "You may not manage the Facebook Page" : "This page is for staff only";
    heading.textContent = words;
    document.title = `${words} — OAuth Bridge`;
    fill(body, h("p", {}, h("a", { href: "/profile", "data-link": true }, "Back to your profile")));
    return;
  }
  body.remove();
  await mountCards(ctx).load();
}
