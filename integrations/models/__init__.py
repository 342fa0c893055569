"""Models of the provider side: OAuth flows, linked GitHub accounts, the Facebook Page link."""

from integrations.models.facebook import (
    IN_PROGRESS_STATUSES,
    INSTAGRAM_SCOPES,
    MANAGE_FACEBOOK_PAGE,
    TARGET_FINAL_STATUSES,
    DataDeletionRequest,
    DataDeletionStatus,
    FacebookPageLink,
    PagePost,
    PagePostSource,
    PagePostStatus,
    PostTarget,
    SignedRequestReceipt,
    TargetStatus,
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
from integrations.models.media import MediaImage

__all__ = ["FlowClient", "FlowPurpose", "GitHubAccount", "MediaImage", "OAuthFlow"]
__all__ += ["GitHubRevocation", "RevocationKind", "RevocationStatus"]
__all__ += [
    "INSTAGRAM_SCOPES",
    "IN_PROGRESS_STATUSES",
    "MANAGE_FACEBOOK_PAGE",
    "TARGET_FINAL_STATUSES",
    "DataDeletionRequest",
    "DataDeletionStatus",
    "FacebookPageLink",
    "PagePost",
    "PagePostSource",
    "PagePostStatus",
    "PostTarget",
    "SignedRequestReceipt",
    "TargetStatus",
    "TokenWarning",
    "can_manage_facebook_page",
    "with_page_manager_flag",
]
