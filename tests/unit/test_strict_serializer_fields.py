"""api.serializers.StrictSerializer: each instance gets its own fields, copied without DRF's deep
copy where a shallow one is as separate (plain fields, a list of them)."""

from concurrent.futures import ThreadPoolExecutor

from rest_framework import serializers
from rest_framework.fields import Field

from api.serializers import StrictSerializer
from api.views.github import GitHubAuthorizeView

APP = {"client": "app", "redirect_uri": "com.example.bridge-test:/oauth",
       "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}


class WithDefaults(StrictSerializer):
    tags = serializers.ListField(child=serializers.CharField(), default=list)
    note = serializers.CharField(default="none")


def test_plain_fields_are_not_deep_copied(monkeypatch, settings):
    settings.APP_REDIRECT_URIS = [APP["redirect_uri"]]

    def deep_copied(self, memo):
        raise AssertionError(f"deep-copied {self!r}")

    monkeypatch.setattr(Field, "__deepcopy__", deep_copied)
    data = GitHubAuthorizeView.Input(data=APP)
    assert data.is_valid(), data.errors


def test_each_instance_has_its_own_bound_fields():
    first, second = GitHubAuthorizeView.Input(data={}), GitHubAuthorizeView.Input(data={})
    for name, field in first.fields.items():
        other = second.fields[name]
        assert field is not other and field is not first._declared_fields[name]
        assert (field.parent, other.parent, field.field_name) == (first, second, name)
    scopes = first.fields["scopes"]
    assert scopes.child is not second.fields["scopes"].child
    assert scopes.child.parent is scopes and scopes.child.root is first
    declared = GitHubAuthorizeView.Input._declared_fields["client"]
    assert declared.parent is None and declared.field_name is None  # never bound


def test_a_mutable_default_is_never_shared():
    first, second = WithDefaults(data={}), WithDefaults(data={})
    assert first.is_valid() and second.is_valid()
    first.validated_data["tags"].append("changed")
    assert second.validated_data["tags"] == [] and WithDefaults(data={}).is_valid()
    assert first.validated_data["note"] == second.validated_data["note"] == "none"


def test_threads_validating_at_once_each_get_their_own_answer(settings):
    settings.APP_REDIRECT_URIS = [APP["redirect_uri"]]
    bodies = [APP, {**APP, "client": "nope"}, {**APP, "code_challenge": "short"},
              {"scopes": ["admin:repo_hook", "other"]}]

    def validate(i):
        data = GitHubAuthorizeView.Input(data=bodies[i % 4])
        data.is_valid()
        return i % 4, tuple(sorted(data.errors))

    with ThreadPoolExecutor(8) as pool:
        answers = set(pool.map(validate, range(200)))
    assert answers == {(0, ()), (1, ("client",)), (2, ("code_challenge",)), (3, ("scopes",))}
