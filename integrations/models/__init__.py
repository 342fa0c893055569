"""Models of the provider side: OAuth flows, linked GitHub accounts, the Facebook Page link."""

from integrations.models.facebook import (
    IN_PROGRESS_STATUSES,
    DataDeletionRequest,
    DataDeletionStatus,
    FacebookPageLink,
    PagePost,
    PagePostSource,
    PagePostStatus,
    TokenWarning,
)
from integrations.models.flow import FlowClient, FlowPurpose, OAuthFlow
from integrations.models.github import GitHubAccount

__all__ = ["FlowClient", "FlowPurpose", "GitHubAccount", "OAuthFlow"]
__all__ += [
    "IN_PROGRESS_STATUSES",
    "DataDeletionRequest",
    "DataDeletionStatus",
    "FacebookPageLink",
    "PagePost",
    "PagePostSource",
    "PagePostStatus",
    "TokenWarning",
]
