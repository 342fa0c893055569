"""The sandbox's configuration: app credentials, registered redirect URIs and behaviour knobs.

Values come from command-line flags, then `SANDBOX_*` environment variables, then the defaults.
Most knobs can also be changed at run time through `POST /_sandbox/config`.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

DEFAULT_GITHUB_CLIENT_ID = "sandbox-github-client-id"
DEFAULT_GITHUB_CLIENT_SECRET = "sandbox-github-client-secret"
DEFAULT_FACEBOOK_APP_ID = "100000000000001"
DEFAULT_FACEBOOK_APP_SECRET = "sandbox-facebook-app-secret"
DEFAULT_REDIRECT_URIS = (
    "http://127.0.0.1:8000/auth/github/callback",
    "http://127.0.0.1:8000/facebook/callback",
)

DEFAULT_GITHUB_APP_ID = 424242
DEFAULT_GITHUB_APP_SLUG = "oauth-bridge-sandbox"
DEFAULT_GITHUB_APP_CLIENT_ID = "Iv23sandboxapp0001"
DEFAULT_GITHUB_APP_WEBHOOK_SECRET = "sandbox-github-app-webhook-secret"


def generate_private_key() -> str:
    """A fresh RSA key pair for the sandbox's GitHub App (PEM, as GitHub's download)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()


# Runtime knobs accepted by POST /_sandbox/config, with their types.
RUNTIME_KEYS: dict[str, type] = {
    "github_app_name": str,
    "github_app_type": str,  # "oauth_app" (gho_ tokens) or "github_app" (ghu_, always expiring)
    "github_expiring_tokens": bool,
    "github_token_ttl_s": int,
    "github_refresh_token_ttl_s": int,
    "github_code_ttl_s": int,
    "facebook_app_name": str,
    "facebook_code_ttl_s": int,
    "facebook_short_lived_ttl_s": int,
    "facebook_long_lived_ttl_s": int,
    "facebook_data_access_ttl_s": int,
    "facebook_require_appsecret_proof": bool,
    "instagram_container_in_progress_s": float,
    "instagram_quota_total": int,
    "facebook_post_link_field": bool,
    "github_app_webhook_url": str,  # where app deliveries go (empty: none are sent)
    "github_app_setup_url": str,  # where the install page redirects
    "github_app_webhook_secret": str,
}


@dataclass
class SandboxConfig:
    github_client_id: str = DEFAULT_GITHUB_CLIENT_ID
    github_client_secret: str = DEFAULT_GITHUB_CLIENT_SECRET
    github_redirect_uris: list[str] = field(default_factory=lambda: list(DEFAULT_REDIRECT_URIS[:1]))
    # Callback URLs registered with GitHub's per-URL "wildcard matching" switched on.
    github_wildcard_redirect_uris: list[str] = field(default_factory=list)
    github_app_name: str = "OAuth Bridge (sandbox)"
    github_app_type: str = "oauth_app"
    github_expiring_tokens: bool = False
    github_token_ttl_s: int = 28800
    github_refresh_token_ttl_s: int = 15897600
    github_code_ttl_s: int = 600
    facebook_app_id: str = DEFAULT_FACEBOOK_APP_ID
    facebook_app_secret: str = DEFAULT_FACEBOOK_APP_SECRET
    facebook_redirect_uris: list[str] = field(
        default_factory=lambda: list(DEFAULT_REDIRECT_URIS[1:])
    )
    facebook_app_name: str = "OAuth Bridge Pages (sandbox)"
    facebook_code_ttl_s: int = 600
    # Stricter than Facebook (which has been seen to give ~60-day tokens to server-side code
    # exchanges): a short-lived token here makes a forgotten fb_exchange_token step visible.
    facebook_short_lived_ttl_s: int = 7200
    facebook_long_lived_ttl_s: int = 5183944
    facebook_data_access_ttl_s: int = 90 * 86400
    facebook_require_appsecret_proof: bool = False
    # Instagram containers stay IN_PROGRESS this long before FINISHED; the 24-hour quota.
    instagram_container_in_progress_s: float = 2.0
    instagram_quota_total: int = 100
    # Graph no longer answers a post's `link` for every post type (`attachments{unshimmed_url}`
    # carries it): false leaves `link` out of the posts read back, the newer answer's shape.
    facebook_post_link_field: bool = True
    # The GitHub App (part D): its key pair is made at start and survives resets.
    github_app_id: int = DEFAULT_GITHUB_APP_ID
    github_app_slug: str = DEFAULT_GITHUB_APP_SLUG
    github_app_client_id: str = DEFAULT_GITHUB_APP_CLIENT_ID
    github_app_webhook_secret: str = DEFAULT_GITHUB_APP_WEBHOOK_SECRET
    github_app_webhook_url: str = ""
    github_app_setup_url: str = ""
    github_app_private_key: str = field(default_factory=generate_private_key, repr=False)

    def copy(self) -> SandboxConfig:
        return dataclasses.replace(
            self,
            github_redirect_uris=list(self.github_redirect_uris),
            github_wildcard_redirect_uris=list(self.github_wildcard_redirect_uris),
            facebook_redirect_uris=list(self.facebook_redirect_uris),
        )

    def update(self, values: dict[str, Any]) -> None:
        """Apply runtime knobs; raises ValueError naming the first bad key or value."""
        for key, value in values.items():
            expected = RUNTIME_KEYS.get(key)
            if expected is None:
                raise ValueError(f"unknown config key {key!r}")
            if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"{key} must be an integer")
            if not isinstance(value, expected):
                raise ValueError(f"{key} must be of type {expected.__name__}")
            if key == "github_app_type" and value not in ("oauth_app", "github_app"):
                raise ValueError("github_app_type must be 'oauth_app' or 'github_app'")
            setattr(self, key, value)

    def public_view(self) -> dict[str, Any]:
        """Everything except the secrets (the control API may be read by anyone on the host)."""
        data = dataclasses.asdict(self)
        data.pop("github_client_secret")
        data.pop("facebook_app_secret")
        data.pop("github_app_private_key")
        data.pop("github_app_webhook_secret")
        return data


def split_uris(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [uri.strip() for uri in value.split(",") if uri.strip()]


def config_from(
    *,
    github_client_id: str | None = None,
    github_client_secret: str | None = None,
    github_redirect_uris: list[str] | None = None,
    facebook_app_id: str | None = None,
    facebook_app_secret: str | None = None,
    facebook_redirect_uris: list[str] | None = None,
    environ: dict[str, str] | None = None,
) -> SandboxConfig:
    """Flags win over `SANDBOX_*` environment variables, which win over the defaults."""
    env = os.environ if environ is None else environ
    config = SandboxConfig()

    def pick(flag: Any, name: str, default: Any) -> Any:
        return flag if flag is not None else env.get(name) or default

    config.github_client_id = pick(
        github_client_id, "SANDBOX_GITHUB_CLIENT_ID", config.github_client_id
    )
    config.github_client_secret = pick(
        github_client_secret, "SANDBOX_GITHUB_CLIENT_SECRET", config.github_client_secret
    )
    config.facebook_app_id = pick(
        facebook_app_id, "SANDBOX_FACEBOOK_APP_ID", config.facebook_app_id
    )
    config.facebook_app_secret = pick(
        facebook_app_secret, "SANDBOX_FACEBOOK_APP_SECRET", config.facebook_app_secret
    )
    gh_uris = github_redirect_uris
    if gh_uris is None:
        gh_uris = split_uris(env.get("SANDBOX_GITHUB_REDIRECT_URIS"))
    fb_uris = facebook_redirect_uris
    if fb_uris is None:
        fb_uris = split_uris(env.get("SANDBOX_FACEBOOK_REDIRECT_URIS"))
    config.github_app_webhook_url = env.get("SANDBOX_GITHUB_APP_WEBHOOK_URL") or ""
    config.github_app_setup_url = env.get("SANDBOX_GITHUB_APP_SETUP_URL") or ""
    if env.get("SANDBOX_GITHUB_APP_PRIVATE_KEY"):
        config.github_app_private_key = env["SANDBOX_GITHUB_APP_PRIVATE_KEY"]
    if gh_uris:
        config.github_redirect_uris = gh_uris
    if fb_uris:
        config.facebook_redirect_uris = fb_uris
    return config
