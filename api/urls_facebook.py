"""/api/v1/facebook/…: the staff Page link, Page posts, and Facebook's callbacks."""

from django.urls import path, re_path

from api.views import facebook, facebook_callbacks, page_posts

urlpatterns = [
    path("authorize", facebook.FacebookAuthorizeView.as_view(), name="facebook-authorize"),
    path("callback", facebook.FacebookCallbackView.as_view(), name="facebook-callback"),
    path("pages", facebook.FacebookPagesView.as_view(), name="facebook-pages"),
    path("page", facebook.FacebookPageView.as_view(), name="facebook-page"),
    path("page/posts", page_posts.PagePostsView.as_view(), name="facebook-page-posts"),
    path("deauthorize", facebook_callbacks.FacebookDeauthorizeView.as_view(),
         name="facebook-deauthorize"),
    path("data-deletion", facebook_callbacks.FacebookDataDeletionView.as_view(),
         name="facebook-data-deletion"),
    re_path(r"^data-deletion/(?P<confirmation_code>[A-Za-z0-9]{1,32})$",
            facebook_callbacks.FacebookDataDeletionStatusView.as_view(),
            name="facebook-data-deletion-status"),
]
