"""Shared serializer building blocks."""

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
    error_description = serializers.CharField(required=False, max_length=500, allow_blank=True)

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
