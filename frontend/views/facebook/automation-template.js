// Release message templates, as the server reads them (automations/message_template.py): the
// five placeholders, `{{` and `}}` for literal braces. Used for the live preview only: the
// server checks the template again on save.
export const PLACEHOLDERS = ["repository", "tag", "name", "url", "author"];
export const DEFAULT_TEMPLATE = "{repository} {tag} is out: {name} {url}";

/** {text, unknown}: the message for `values`, and the placeholders the server would refuse. */
export function renderTemplate(template, values) {
  const unknown = [];
  let text = "";
  for (let i = 0; i < template.length; i += 1) {
    const c = template[i];
    const next = template[i + 1];
    if ((c === "{" && next === "{") || (c === "}" && next === "}")) {
      text += c;
      i += 1;
    } else if (c === "{") {
      const end = template.indexOf("}", i);
      if (end < 0) {
        unknown.push("{");
        break;
      }
      const field = template.slice(i + 1, end);
      if (PLACEHOLDERS.includes(field)) text += values[field] ?? "";
      else unknown.push(`{${field}}`);
      i = end;
    } else if (c === "}") {
      unknown.push("}");
    } else {
      text += c;
    }
  }
  return { text, unknown };
}

export function exampleValues(repository) {
  const repo = repository || "octocat/hello-world";
  return { repository: repo, tag: "v1.2.0", name: "Version 1.2",
    url: `https://github.com/${repo}/releases/tag/v1.2.0`, author: repo.split("/")[0] };
}
