"""Django admin for the provider side. Tokens are shown masked and are never editable."""

from django.contrib import admin

from integrations.crypto import mask_token
from integrations.models import GitHubAccount, GitHubRevocation, OAuthFlow, RevocationStatus
from integrations.services.revocations import retry_revocation


@admin.register(GitHubAccount)
class GitHubAccountAdmin(admin.ModelAdmin):
    list_display = ("login", "github_id", "user", "email", "token_expires_at", "last_login_at")
    search_fields = ("login", "github_id", "email", "user__username")
    readonly_fields = ("user", "github_id", "login", "name", "avatar_url", "html_url", "email",
                       "masked_access_token", "masked_refresh_token", "scopes",
                       "token_expires_at", "refresh_token_expires_at", "created_at",
                       "updated_at", "last_login_at", "staff_from_list")
    exclude = ("access_token", "refresh_token", "company", "location", "bio")

    @admin.display(description="Access token")
    def masked_access_token(self, account):
        return mask_token(account.access_token)

    @admin.display(description="Refresh token")
    def masked_refresh_token(self, account):
        return mask_token(account.refresh_token)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # delete the user instead: the account goes with it


@admin.register(OAuthFlow)
class OAuthFlowAdmin(admin.ModelAdmin):
    list_display = ("id", "purpose", "client", "created_at", "expires_at", "consumed_at")
    list_filter = ("purpose", "client")
    fields = ("purpose", "client", "user", "redirect_uri", "created_at", "expires_at",
              "consumed_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

@admin.register(GitHubRevocation)
class GitHubRevocationAdmin(admin.ModelAdmin):
    """Revocations the worker is trying, and the ones that failed for good (S33): an operator
    sees them and can start a fresh round of attempts once GitHub answers again."""

    list_display = ("id", "kind", "reason", "github_id", "status", "attempts", "last_error",
                    "next_attempt_at", "created_at", "finished_at")
    list_filter = ("status", "kind", "reason")
    fields = ("kind", "reason", "github_id", "status", "attempts", "last_error",
              "next_attempt_at", "created_at", "finished_at")
    readonly_fields = fields
    actions = ("try_again",)

    @admin.action(description="Try the selected failed revocations again")
    def try_again(self, request, queryset):
        failed = list(queryset.filter(status=RevocationStatus.FAILED))
        for revocation in failed:
            retry_revocation(revocation)
        self.message_user(request, f"{len(failed)} revocation(s) handed to the worker again.")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from integrations import admin_facebook  # noqa: E402, F401  (Facebook Page link, posts)
