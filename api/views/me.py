"""The signed-in user: profile, GitHub token validity, repositories, sign-out, deletion."""

from django.contrib.auth import logout
from drf_spectacular.utils import OpenApiParameter, extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api import schema_examples as examples
from api.schema import COMMON_ERRORS, error_responses
from api.serializers import BudgetSerializer, UserSerializer, token_check_json, user_json
from integrations.services import github as github_service


class LogoutView(APIView):
    @extend_schema(operation_id="logout", tags=["auth"], request=None,
                   responses={204: None, **error_responses(*COMMON_ERRORS)})
    def post(self, request):
        """End this browser session, or revoke this API token (other devices stay signed in)."""
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
        else:
            logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    provider_bound_methods = ("DELETE",)  # revokes the GitHub grant

    @extend_schema(operation_id="me", tags=["me"],
                   responses={200: UserSerializer, **error_responses(*COMMON_ERRORS)},
                   examples=examples.ME_EXAMPLES)
    def get(self, request):
        """The local user and their GitHub profile."""
        return Response(user_json(request.user))

    @extend_schema(operation_id="me_delete", tags=["me"],
                   responses={204: None, **error_responses(*COMMON_ERRORS)})
    def delete(self, request):
        """Delete the account: revoke the GitHub grant, delete the user and all their tokens."""
        user = request.user
        if not isinstance(request.auth, AuthToken):
            logout(request)
        github_service.delete_account(user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GitHubTokenView(APIView):
    provider_bound_lazily = ("GET",)  # a cached answer takes no provider slot (api.middleware)

    class Output(serializers.Serializer):
        valid = serializers.BooleanField()
        scopes = serializers.ListField(child=serializers.CharField())
        expires_at = serializers.DateTimeField(allow_null=True)
        checked_at = serializers.DateTimeField()
        budget = BudgetSerializer(allow_null=True, help_text=(
            "What is left of GitHub's rate limit for this token (null until a call is seen); "
            "from 90 % used, calls wait for the reset (429 provider_rate_limited)."))

    @extend_schema(operation_id="me_github_token", tags=["me"],
                   responses={200: Output, **error_responses(*COMMON_ERRORS, 409, 502, 504)},
                   examples=examples.GITHUB_TOKEN)
    def get(self, request):
        """Whether the stored GitHub token still works, asked of GitHub (answers kept a minute).

        The token itself is never returned.
        """
        return Response(token_check_json(github_service.check_github_token(request.user)))


class RepoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    full_name = serializers.CharField()
    html_url = serializers.CharField()
    description = serializers.CharField(allow_null=True)
    private = serializers.BooleanField()
    language = serializers.CharField(allow_null=True)
    stargazers_count = serializers.IntegerField()
    updated_at = serializers.DateTimeField(allow_null=True)


class GitHubReposView(APIView):
    provider_bound_methods = ("GET",)

    class Output(serializers.Serializer):
        results = RepoSerializer(many=True)
        page = serializers.IntegerField()
        next_page = serializers.IntegerField(allow_null=True)

    class Query(serializers.Serializer):
        page = serializers.IntegerField(min_value=1, max_value=1000, default=1)

    @extend_schema(
        operation_id="me_github_repos", tags=["me"],
        parameters=[OpenApiParameter("page", {"type": "integer", "minimum": 1, "maximum": 1000},
                                     description="1-based page number")],
        responses={200: Output, **error_responses(*COMMON_ERRORS, 400, 409, 502, 504)},
        examples=examples.GITHUB_REPOS,
    )
    def get(self, request):
        """The user's repositories on GitHub, 30 a page."""
        query = self.Query(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = github_service.list_github_repos(request.user, page=query.validated_data["page"])
        return Response({
            "results": RepoSerializer(page.repos, many=True).data,
            "page": page.page,
            "next_page": page.page + 1 if page.has_next else None,
        })
