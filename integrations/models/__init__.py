"""Models of the provider side: OAuth flows, linked GitHub accounts, the Facebook Page link."""

from integrations.models.facebook import (
    DataDeletionRequest,
    DataDeletionStatus,
    FacebookPageLink,
    PagePost,
    PagePostSource,
    PagePostStatus,
)
from integrations.models.flow import FlowClient, FlowPurpose, OAuthFlow
from integrations.models.github import GitHubAccount

__all__ = ["FlowClient", "FlowPurpose", "GitHubAccount", "OAuthFlow"]
__all__ += [
    "DataDeletionRequest", "DataDeletionStatus", "FacebookPageLink", "PagePost", "PagePostSource",
    "PagePostStatus",
]
