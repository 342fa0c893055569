"""Message templates: `{repository}`, `{tag}`, `{name}`, `{url}` and `{author}` placeholders.

Rendering substitutes only those names, literally: no format specs, conversions, attribute or
index access (str.format on a user template could reach object attributes).
"""

from __future__ import annotations

from string import Formatter

from integrations.services.page_posts import MESSAGE_MAX_CHARS

PLACEHOLDERS = ("repository", "tag", "name", "url", "author")
# The longest values GitHub allows (a tag or release name of 255, a 100-character repository
# name under a 39-character owner): a template that fits with them always fits Facebook.
LONGEST_VALUES = {"repository": "o" * 39 + "/" + "r" * 100, "tag": "t" * 255, "name": "n" * 255,
                  "url": "https://github.com/" + "o" * 39 + "/" + "r" * 100
                         + "/releases/tag/" + "t" * 255,
                  "author": "a" * 39}
EXAMPLE_VALUES = {"repository": "octocat/hello-world", "tag": "v1.2.0", "name": "Version 1.2",
                  "url": "https://github.com/octocat/hello-world/releases/tag/v1.2.0",
                  "author": "octocat"}


def template_problems(template: str) -> list[str]:
    """What is wrong with `template`, in words people can act on; empty when it is fine."""
    try:
        parts = list(Formatter().parse(template))
    except ValueError:
        return ["Unbalanced braces: write {{ and }} for literal braces."]
    problems = []
    for _literal, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in PLACEHOLDERS:
            shown = "{" + field + "}" if field else "{}"
            problems.append(f"Unknown placeholder {shown}: use "
                            + ", ".join("{" + p + "}" for p in PLACEHOLDERS) + ".")
        elif spec or conversion:
            problems.append(f"Write {{{field}}} without a format or conversion.")
    if not problems:
        if not _substitute(template, EXAMPLE_VALUES).strip():
            problems.append("Write a message.")
        elif len(_substitute(template, LONGEST_VALUES)) > MESSAGE_MAX_CHARS:
            problems.append(f"Too long: with the longest release values the message would "
                            f"pass Facebook's limit of {MESSAGE_MAX_CHARS} characters.")
    return problems


def render(template: str, values: dict[str, str]) -> str:
    """The message for one release (the template was checked on save; the cut is a last
    resort for values longer than GitHub allows)."""
    return _substitute(template, values)[:MESSAGE_MAX_CHARS]


def _substitute(template: str, values: dict[str, str]) -> str:
    out = []
    for literal, field, _spec, _conversion in Formatter().parse(template):
        out.append(literal)
        if field is not None:
            out.append(str(values.get(field, "")))
    return "".join(out)
