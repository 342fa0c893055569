"""Models of the provider side: OAuth flows, linked GitHub accounts, the Facebook Page link."""

from integrations.models.facebook import (
    IN_PROGRESS_STATUSES,
    MANAGE_FACEBOOK_PAGE,
    DataDeletionRequest,
    DataDeletionStatus,
    FacebookPageLink,
    PagePost,
    PagePostSource,
    PagePostStatus,
    SignedRequestReceipt,
    TokenWarning,
    can_manage_facebook_page,
    with_page_manager_flag,
)
from integrations.models.flow import FlowClient, FlowPurpose, OAuthFlow
from integrations.models.github import (
    GitHubAccount,
    GitHubRevocation,
    RevocationKind,
    RevocationStatus,
)

__all__ = ["FlowClient", "FlowPurpose", "GitHubAccount", "OAuthFlow"]
__all__ += ["GitHubRevocation", "RevocationKind", "RevocationStatus"]
__all__ += [
    "IN_PROGRESS_STATUSES",
    "MANAGE_FACEBOOK_PAGE",
    "DataDeletionRequest",
    "DataDeletionStatus",
    "FacebookPageLink",
    "PagePost",
    "PagePostSource",
    "PagePostStatus",
    "SignedRequestReceipt",
    "TokenWarning",
    "can_manage_facebook_page",
    "with_page_manager_flag",
]
