"""GitHub: the client (HTTP only, no Django), its values, status mapping and parsing."""

from integrations.github.client import API_VERSION, REST_ACCEPT, GitHubClient
from integrations.github.types import GitHubProfile, GitHubRepo, GitHubToken, RepoHook, RepoPage
from integrations.github.webhooks import verify_signature
from integrations.token_check import TokenCheck

__all__ = ["API_VERSION", "REST_ACCEPT", "GitHubClient", "GitHubProfile", "GitHubRepo",
           "GitHubToken", "RepoHook", "RepoPage", "TokenCheck", "verify_signature"]
