"""/api/v1/facebook/…: the staff Page link, Page posts, and Facebook's callbacks."""

from django.urls import path, re_path

from api.views import facebook as views

urlpatterns = [
    path("authorize", views.FacebookAuthorizeView.as_view(), name="facebook-authorize"),
    path("callback", views.FacebookCallbackView.as_view(), name="facebook-callback"),
    path("pages", views.FacebookPagesView.as_view(), name="facebook-pages"),
    path("page", views.FacebookPageView.as_view(), name="facebook-page"),
    path("page/posts", views.PagePostsView.as_view(), name="facebook-page-posts"),
    path("deauthorize", views.FacebookDeauthorizeView.as_view(), name="facebook-deauthorize"),
    path("data-deletion", views.FacebookDataDeletionView.as_view(),
         name="facebook-data-deletion"),
    re_path(r"^data-deletion/(?P<confirmation_code>[A-Za-z0-9]{1,32})$",
            views.FacebookDataDeletionStatusView.as_view(), name="facebook-data-deletion-status"),
]
