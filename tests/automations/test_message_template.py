"""Message templates: only the five placeholders, substituted literally, within Facebook's
limit."""

import pytest

from automations.message_template import render, template_problems
from integrations.services.page_posts import MESSAGE_MAX_CHARS

VALUES = {"repository": "octocat/Hello-World", "tag": "v1.2.0", "name": "Version 1.2",
          "url": "https://github.com/octocat/Hello-World/releases/tag/v1.2.0",
          "author": "octocat"}


def test_every_placeholder_is_substituted():
    template = "{repository} {tag} {name} {url} {author}"
    assert template_problems(template) == []
    assert render(template, VALUES) == " ".join(VALUES.values())


def test_literal_braces_are_kept():
    assert render("{{literal}} {tag}", VALUES) == "{literal} v1.2.0"


@pytest.mark.parametrize(("template", "named"), [
    ("{version} is out", "{version}"),
    ("{} is out", "{}"),
    ("{0} is out", "{0}"),
    ("{tag.__class__}", "{tag.__class__}"),
    ("{tag[0]}", "{tag[0]}"),
])
def test_an_unknown_placeholder_is_named(template, named):
    problems = template_problems(template)
    assert len(problems) == 1 and named in problems[0]


@pytest.mark.parametrize("template", ["{tag!r}", "{tag:>10}"])
def test_formats_and_conversions_are_refused(template):
    assert "without a format" in template_problems(template)[0]


def test_unbalanced_braces_are_refused():
    assert "braces" in template_problems("{tag")[0]


def test_an_empty_result_is_refused():
    assert template_problems("   ") == ["Write a message."]


def test_a_template_that_could_pass_facebooks_limit_is_refused():
    near = "x" * (MESSAGE_MAX_CHARS - 100) + "{name}"
    assert "Too long" in template_problems(near)[0]
    assert template_problems("x" * (MESSAGE_MAX_CHARS - 300) + "{tag}") == []


def test_values_are_never_formatted_again():
    assert render("{name}", {**VALUES, "name": "{tag} {0.__class__}"}) == "{tag} {0.__class__}"
