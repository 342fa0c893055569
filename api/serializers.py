"""Shared serializer building blocks."""

import copy

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from integrations.models import can_manage_facebook_page


class StrictSerializer(serializers.Serializer):
    """Refuses unknown keys: a typo or an injected field (`redirect_uri`, …) is a 400 (S9, S33)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)

    def get_fields(self):
        return {name: copy_field(field) for name, field in self._declared_fields.items()}


# Fields whose state after __init__ is only read (arguments, validators, messages, choices).
_PLAIN_FIELDS = (serializers.BooleanField, serializers.CharField, serializers.ChoiceField,
                 serializers.DateTimeField, serializers.FloatField, serializers.IntegerField)
_IMMUTABLE_DEFAULTS = (str, int, float, type(None))


def copy_field(field: serializers.Field) -> serializers.Field:
    """A declared field for one serializer instance, as separate as DRF's deep copy.

    DRF deep-copies every declared field for every instance, re-running `__init__`: on authorize
    that cost more than validating. A plain field's state is only read once built, and what
    binding writes (name, parent, label, source) lands on the copy's own attributes, so a shallow
    copy shares nothing that changes; a list's child is copied so and re-parented. Any other
    field (a nested serializer, a mutable or callable default) gets DRF's deep copy.
    """
    if isinstance(field, serializers.ListField) and _plain(field.child) and _plain_default(field):
        copied = copy.copy(field)
        copied.child = copy.copy(field.child)
        copied.child.parent = copied
        return copied
    if _plain(field):
        return copy.copy(field)
    return copy.deepcopy(field)


def _plain(field) -> bool:
    return isinstance(field, _PLAIN_FIELDS) and _plain_default(field)


def _plain_default(field) -> bool:
    return field.default is serializers.empty or isinstance(field.default, _IMMUTABLE_DEFAULTS)


class TextRegexField(serializers.RegexField):
    """A RegexField that accepts only JSON strings (DRF would turn `123` into "123")."""

    default_error_messages = {"not_a_string": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


# RFC 6749 Appendix A: `code` and `state` are VSCHAR; we also refuse spaces (S33).
CODE_REGEX = r"^[\x21-\x7e]{1,512}$"
STATE_REGEX = r"^[A-Za-z0-9_-]{43}$"
PKCE_REGEX = r"^[A-Za-z0-9._~-]{43,128}$"
CHALLENGE_REGEX = r"^[A-Za-z0-9_-]{43}$"


class ProviderCallbackInput(StrictSerializer):
    """What the SPA relays from a provider's redirect: `code` and `state`, or the error the
    provider sent back with the state. Subclasses set the `code` pattern."""

    code_regex = CODE_REGEX

    state = TextRegexField(STATE_REGEX)
    error = TextRegexField(r"^[a-z_]{1,64}$", required=False)
    error_description = serializers.CharField(
        required=False, max_length=500, allow_blank=True,
        help_text="Accepted and ignored: it came through a URL anyone can write, so it is "
                  "never repeated back (S37).")

    def get_fields(self):
        fields = super().get_fields()
        fields["code"] = TextRegexField(self.code_regex, required=False)
        return fields

    def validate(self, data):
        if ("code" in data) == ("error" in data):
            raise serializers.ValidationError({"code": ["Send either `code` or `error`."]})
        return data


class AuthorizeOutput(serializers.Serializer):
    authorize_url = serializers.URLField(help_text="Send the person's browser here.")
    state = serializers.CharField(help_text="Single use; expires at `expires_at`.")
    expires_at = serializers.DateTimeField()


class UserSerializer(serializers.Serializer):
    """The local user as clients see it; never a provider token."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    is_staff = serializers.BooleanField()
    can_manage_facebook_page = serializers.SerializerMethodField(
        help_text="May link, unlink and post to the Facebook Page (staff with the permission).")
    date_joined = serializers.DateTimeField()
    github = serializers.SerializerMethodField()

    class GitHubProfileSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="github_id")
        login = serializers.CharField()
        name = serializers.CharField(allow_blank=True)
        avatar_url = serializers.CharField(allow_blank=True)
        html_url = serializers.CharField(allow_blank=True)
        email = serializers.CharField(allow_blank=True)
        company = serializers.CharField(allow_blank=True)
        location = serializers.CharField(allow_blank=True)
        bio = serializers.CharField(allow_blank=True)
        scopes = serializers.ListField(child=serializers.CharField(), source="scope_list")
        token_expires_at = serializers.DateTimeField(allow_null=True)
        last_login_at = serializers.DateTimeField(allow_null=True)

    def get_can_manage_facebook_page(self, user) -> bool:
        return can_manage_facebook_page(user)

    @extend_schema_field(GitHubProfileSerializer(allow_null=True))
    def get_github(self, user):
        account = getattr(user, "github_account", None)
        return self.GitHubProfileSerializer(account).data if account else None


_DATETIME = serializers.DateTimeField()  # formats like every serializer's DateTimeField


def user_json(user) -> dict:
    """What UserSerializer renders, built directly: `/me` is the hottest endpoint, and building a
    serializer's fields on every request cost more than its query. UserSerializer stays the
    schema; tests/api/test_user_json.py keeps the two identical."""
    account = getattr(user, "github_account", None)
    return {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "is_staff": user.is_staff,
        "can_manage_facebook_page": can_manage_facebook_page(user),
        "date_joined": _DATETIME.to_representation(user.date_joined),
        "github": None if account is None else {
            "id": account.github_id,
            "login": account.login,
            "name": account.name,
            "avatar_url": account.avatar_url,
            "html_url": account.html_url,
            "email": account.email,
            "company": account.company,
            "location": account.location,
            "bio": account.bio,
            "scopes": account.scope_list,
            "token_expires_at": _optional_datetime(account.token_expires_at),
            "last_login_at": _optional_datetime(account.last_login_at),
        },
    }


def token_check_json(check) -> dict:
    """A TokenCheck as GET /me/github/token renders it (its `Output` serializer is the schema)."""
    return {
        "valid": check.valid,
        "scopes": list(check.scopes),
        "expires_at": _optional_datetime(check.expires_at),
        "checked_at": _DATETIME.to_representation(check.checked_at),
        "budget": None if check.budget is None else budget_json(check.budget),
    }


def budget_json(usage) -> dict:
    """A ProviderUsage as BudgetSerializer (the schema) renders it."""
    return {
        "remaining_percent": usage.remaining_percent,
        "used_percent": usage.used_percent,
        "remaining": usage.remaining,
        "limit": usage.limit,
        "resets_at": _optional_datetime(usage.resets_at),
    }


def sign_in_json(user, token: str | None = None, token_expires_at=None) -> dict:
    """A callback's answer (its Output serializer is the schema); apps also get their token.
    `token_expires_at` is always there (null for browsers), as that serializer renders it."""
    answer = {"user": user_json(user)}
    if token is not None:
        answer["token"] = token
    answer["token_expires_at"] = _optional_datetime(token_expires_at)
    return answer


def authorize_json(started) -> dict:
    """A StartedAuthorization as both authorize endpoints render it (AuthorizeOutput: schema)."""
    return {
        "authorize_url": started.authorize_url,
        "state": started.state,
        "expires_at": _DATETIME.to_representation(started.expires_at),
    }


def _optional_datetime(value):
    return None if value is None else _DATETIME.to_representation(value)


# The staff member who linked the Page or made a post (no docstring: it would become the
# component's description in the schema).
class StaffUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.SerializerMethodField(
        help_text="The GitHub login when the user signed in with GitHub, else the username.")

    def get_display_name(self, user) -> str:
        account = getattr(user, "github_account", None)
        return account.login if account else user.username


class BudgetSerializer(serializers.Serializer):
    """What is left of a provider's call budget, from the usage headers of its last answer."""

    remaining_percent = serializers.FloatField()
    used_percent = serializers.FloatField()
    remaining = serializers.IntegerField(allow_null=True, help_text="Calls left (GitHub).")
    limit = serializers.IntegerField(allow_null=True, help_text="Calls per window (GitHub).")
    resets_at = serializers.DateTimeField(allow_null=True)
