"""GitHub sign-in and the signed-in user's GitHub data, as whole flows.

Views call these; these call the client (HTTP) and the models. Provider tokens are stored
encrypted and never leave this layer.
"""

import logging
from collections.abc import Callable
from concurrent.futures import Executor, wait
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import OuterRef
from django.utils import timezone

from integrations import metrics
from integrations.concurrency import ContextCarryingExecutor
from integrations.config import get_github_client
from integrations.errors import (
    AccountDisabled,
    AccountMismatch,
    AuthorizationFailed,
    NotLinked,
    ProviderError,
    ScopesNotRequested,
    TokenInvalid,
)
from integrations.flows import consume_flow
from integrations.github import GitHubProfile, GitHubToken, RepoPage
from integrations.models import FlowClient, FlowPurpose, GitHubAccount, RevocationKind
from integrations.models.facebook import (
    HOLDS_PAGE_PERMISSION,
    MANAGE_PERMISSION_CODENAME,
    can_manage_facebook_page,
    page_manager_flag,
)
from integrations.prepared import PreparedLookup
from integrations.services.authorization import INCREMENTAL_GITHUB_SCOPES
from integrations.services.revocations import schedule_revocation
from integrations.token_check import TokenCheck
from integrations.usage_store import github_token_usage

logger = logging.getLogger(__name__)
User = get_user_model()

# A sign-in reads /user/emails on this pool while its own thread reads /user. One worker per
# sign-in a process runs at once (gunicorn.conf.py caps provider-bound requests at half its
# threads); threads are started only as needed.
SIGN_IN_READS = ContextCarryingExecutor(max_workers=16, thread_name_prefix="github-read")
REFRESH_MARGIN = timedelta(seconds=60)
TOKEN_CHECK_TTL_S = 60


def sign_in_with_github(*, state: str, code: str, binding: str | None, client: FlowClient,
                        code_verifier: str | None = None, user=None,
                        reads: Executor = SIGN_IN_READS,
                        then: Callable[[User], None] | None = None):
    """Consume the state, exchange the code, read who this is, and upsert the local user.

    Costs two provider round trips: the exchange, then /user here and /user/emails concurrently
    on `reads` (any `concurrent.futures.Executor`). `then(user)` runs inside the transaction that
    saves the user (the view starts the session or issues the API token there): one commit.
    """
    flow = consume_flow(purpose=FlowPurpose.GITHUB_LOGIN, state=state, binding=binding,
                        code_verifier=code_verifier, client=client, user=user)
    github = get_github_client()
    token = github.exchange_code(code=code, redirect_uri=flow.redirect_uri,
                                 code_verifier=flow.code_verifier)
    try:
        email_call = reads.submit(github.get_primary_verified_email, token.access_token,
                                  new_token=True)
        try:
            profile = github.get_profile(token.access_token, new_token=True)
        except Exception:
            wait([email_call])  # no read outlives the sign-in; /user's error is the one told
            raise
        email = email_call.result()
        if flow.user_id is not None and not GitHubAccount.objects.filter(
                user_id=flow.user_id, github_id=profile.id).exists():
            # A staff member's extra-scope grant lands on their own account only (S52).
            raise AccountMismatch(provider="github")
        user = _upsert_user(profile=profile, email=email, token=token, then=then)
    except ScopesNotRequested:
        # The grant, not only this token: GitHub answers every later authorization with the
        # union of what was ever granted, so the next sign-in must start from nothing.
        _revoke_unstored(github, token, kind=RevocationKind.GRANT,
                         reason="scopes_not_requested")
        raise
    except Exception:
        # The token is valid at GitHub but will never be stored: do not leave it behind.
        _revoke_unstored(github, token)
        raise
    metrics.SIGNINS.labels(provider="github", client=flow.client, outcome="success").inc()
    logger.info("github sign-in: user %s (github id %s, %s client)", user.pk, profile.id,
                flow.client, extra={"event": "signin", "reason": "success", "provider": "github"})
    return user


def _revoke_unstored(github, token: GitHubToken, *, kind: str = RevocationKind.TOKEN,
                     reason: str = "sign_in_failed") -> None:
    """The worker revokes it (retrying); the sign-in's own error is what the caller sees. With
    no database to record it in, one inline attempt (logged, never the token) is all there is."""
    try:
        with transaction.atomic():
            schedule_revocation(token=token.access_token, kind=kind, reason=reason)
    except DatabaseError:
        revoke = github.revoke_grant if kind == RevocationKind.GRANT else github.revoke_token
        try:
            revoke(token.access_token)
        except ProviderError as exc:
            logger.warning("could not revoke the token of a failed github sign-in: %r", exc)


def _upsert_user(*, profile: GitHubProfile, email: str | None, token: GitHubToken, then=None):
    """Find the user by GitHub's numeric id (never by email or login) and store the tokens."""
    try:
        return _save_sign_in(profile=profile, email=email, token=token, then=then)
    except IntegrityError:
        # A concurrent first sign-in of the same person created the account: update it.
        return _save_sign_in(profile=profile, email=email, token=token, then=then)


# The stored tokens are replaced, never read here: not decrypted. The user's Page permission
# (what the answer's can_manage_facebook_page reads) comes in the same query, compiled once.
_LOCKED_ACCOUNT = PreparedLookup(
    lambda github_id: GitHubAccount.objects.select_for_update().select_related("user")
    .defer("access_token", "refresh_token")
    .annotate(**page_manager_flag(OuterRef("user_id")))
    .filter(github_id=github_id))


@transaction.atomic
def _save_sign_in(*, profile: GitHubProfile, email: str | None, token: GitHubToken, then=None):
    account = _LOCKED_ACCOUNT.first(profile.id)
    if account is not None:
        setattr(account.user, HOLDS_PAGE_PERMISSION, getattr(account, HOLDS_PAGE_PERMISSION))
    else:
        # The username is derived from the numeric id, so a user left behind by a deleted
        # GitHub account row is this same GitHub identity: reattach it.
        user, _ = User.objects.get_or_create(username=f"github-{profile.id}",
                                             defaults={"email": email or ""})
        account = GitHubAccount(user=user, github_id=profile.id, email=email or "")
    _apply_profile(account, profile)
    _apply_token(account, token, profile=profile)
    account.last_login_at = timezone.now()
    user = account.user
    before = (user.is_staff, user.first_name)
    _apply_staff_list(account, user, profile)
    _refuse_scopes_not_requested(account, user)
    account.save()
    user.first_name = (profile.name or "")[:150]
    if (user.is_staff, user.first_name) != before:  # a returning user mostly: nothing to write
        user.save(update_fields=["is_staff", "first_name"])
    if not user.is_active:
        raise AccountDisabled()
    if then is not None:
        then(user)
    return user


def _apply_staff_list(account: GitHubAccount, user, profile: GitHubProfile) -> None:
    """STAFF_GITHUB_LOGINS grants staff (by login or, safer, by numeric id) and takes back
    what it granted once the entry is removed; staff set by hand in the admin is left alone.

    The Page permission comes with the grant, once: an admin who takes it away from one staff
    member is not overruled at their next sign-in."""
    entries = settings.STAFF_GITHUB_LOGINS
    listed = profile.login.lower() in entries or str(profile.id) in entries
    if listed and not account.staff_from_list:
        user.is_staff = account.staff_from_list = True
        _set_page_permission(user, granted=True)
    elif listed:
        user.is_staff = True
    elif account.staff_from_list:
        user.is_staff = account.staff_from_list = False
        _set_page_permission(user, granted=False)


def _refuse_scopes_not_requested(account: GitHubAccount, user) -> None:
    """The scope policy (README, "Scopes beyond the request"): a scope that can write is kept
    only if this site asks this person for it (GITHUB_SCOPES; the hook scope for those who
    may create automations). Read-only extras (`read:…`, `user:email`) are kept."""
    asked = set(settings.GITHUB_SCOPES)
    if can_manage_facebook_page(user):
        asked.update(INCREMENTAL_GITHUB_SCOPES)
    unasked = [scope for scope in account.scope_list
               if scope not in asked and not _read_only(scope)]
    if unasked:
        logger.warning("github sign-in of github id %s refused: scopes not requested %s",
                       account.github_id, ",".join(sorted(unasked)),
                       extra={"event": "signin", "reason": "scopes_not_requested",
                              "provider": "github"})
        raise ScopesNotRequested(unasked)


def _read_only(scope: str) -> bool:
    return scope.startswith("read:") or scope == "user:email"


def _set_page_permission(user, *, granted: bool) -> None:
    permission = Permission.objects.get(codename=MANAGE_PERMISSION_CODENAME,
                                        content_type__app_label="integrations")
    if granted:
        user.user_permissions.add(permission)
        setattr(user, HOLDS_PAGE_PERMISSION, True)
    else:
        user.user_permissions.remove(permission)
        user.__dict__.pop(HOLDS_PAGE_PERMISSION, None)  # a group may still grant it: ask again


def _apply_profile(account: GitHubAccount, profile: GitHubProfile) -> None:
    account.login = profile.login
    account.name = profile.name or ""
    account.avatar_url = profile.avatar_url or ""
    account.html_url = profile.html_url or ""
    account.company = profile.company or ""
    account.location = profile.location or ""
    account.bio = profile.bio or ""


def _apply_token(account: GitHubAccount, token: GitHubToken,
                 profile: GitHubProfile | None = None) -> None:
    """Granted scopes and expiry as the /user read saw them (the exchange's `scope` can be
    empty, and GitHub Apps send none), else as the token answer said."""
    account.access_token = token.access_token
    seen_scopes = profile.token_scopes if profile else None
    account.token_expires_at = (profile and profile.token_expires_at) or token.expires_at
    account.scopes = ",".join(token.scopes if seen_scopes is None else seen_scopes)
    if token.refresh_token:
        account.refresh_token = token.refresh_token
        account.refresh_token_expires_at = token.refresh_token_expires_at


def github_account_of(user) -> GitHubAccount:
    try:
        return user.github_account
    except GitHubAccount.DoesNotExist as exc:
        raise NotLinked("This account has no GitHub sign-in.", provider="github") from exc


def fresh_access_token(user) -> str:
    """The user's GitHub token, refreshed first when it expires (the refresh token rotates)."""
    return _fresh_account(user).access_token


def _fresh_account(user) -> GitHubAccount:
    account = github_account_of(user)
    if not account.access_token:  # lost to a dropped encryption key: sign in again
        raise TokenInvalid(provider="github")
    if not _needs_refresh(account):
        return account
    with transaction.atomic():
        # Lock: a refresh token is single use, so two requests must not both spend it.
        account = GitHubAccount.objects.select_for_update().get(pk=account.pk)
        if not _needs_refresh(account):
            return account
        if not account.refresh_token:
            raise TokenInvalid(provider="github")
        try:
            token = get_github_client().refresh(refresh_token=account.refresh_token)
        except AuthorizationFailed as exc:
            raise TokenInvalid(provider="github") from exc
        _apply_token(account, token)
        account.save()
        return account


def _needs_refresh(account: GitHubAccount) -> bool:
    expires_at = account.token_expires_at
    return expires_at is not None and expires_at <= timezone.now() + REFRESH_MARGIN


def check_github_token(user) -> TokenCheck:
    """Ask GitHub whether the stored token still works (the check-token API; never returned).

    The answer is remembered for TOKEN_CHECK_TTL_S, keyed by the account row's version, so a
    new token (sign-in, refresh) is always asked about afresh and a cached answer needs neither
    the token nor GitHub.
    """
    account = github_account_of(user)
    if not _needs_refresh(account):
        cached = cache.get(_token_check_key(account))
        if isinstance(cached, TokenCheck):  # the budget in it is "as last seen" too
            return cached
    try:
        account = _fresh_account(user)
    except TokenInvalid:
        return TokenCheck(valid=False, checked_at=timezone.now())
    check = get_github_client().check_token(account.access_token)
    answer = (TokenCheck(valid=True, scopes=check.scopes,
                         expires_at=check.expires_at or account.token_expires_at,
                         checked_at=timezone.now(),
                         budget=github_token_usage(account.access_token))
              if check.valid else TokenCheck(valid=False, checked_at=timezone.now()))
    cache.set(_token_check_key(account), answer, TOKEN_CHECK_TTL_S)
    return answer


def _token_check_key(account: GitHubAccount) -> str:
    """Saving the row (new token, refresh, profile update) moves `updated_at`: a new key."""
    return f"github:token-check:{account.pk}:{account.updated_at.timestamp()}"


def list_github_repos(user, *, page: int) -> RepoPage:
    return get_github_client().list_repos(fresh_access_token(user), page=page)


@transaction.atomic
def delete_account(user) -> None:
    """Delete the user with all their tokens; the worker revokes the GitHub grant (retrying
    with back-off while GitHub is unreachable; a final failure shows in the admin)."""
    account = GitHubAccount.objects.filter(user=user).first()
    if account is not None and account.access_token:
        schedule_revocation(token=account.access_token, kind=RevocationKind.GRANT,
                            reason="account_deleted", github_id=account.github_id)
    logger.info("github account deleted: user %s", user.pk,
                extra={"event": "github_unlink", "reason": "account_deleted", "provider": "github"})
    user.delete()
