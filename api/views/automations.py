"""Staff-only release automations: `GET/POST /api/v1/automations`,
`GET/PATCH/DELETE /api/v1/automations/{id}`. Each view calls one automations service."""

import re

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from api.schema import error_response, error_responses
from api.serializers import StaffUserSerializer, StrictSerializer
from api.views.facebook import StaffView
from automations import selectors
from automations import services as automation_service
from automations.message_template import PLACEHOLDERS, template_problems
from automations.models import (
    Automation,
    AutomationEvent,
    DisabledReason,
    HookMode,
    WebhookDelivery,
)
from integrations.models import PagePostStatus

TAGS = ["automations"]
REPOSITORY_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
TEMPLATE_HELP = ("Placeholders: " + ", ".join("{" + p + "}" for p in PLACEHOLDERS)
                 + "; checked on save.")


class DeliverySerializer(serializers.ModelSerializer):
    # `outcome` is what the delivery did when it arrived ("queued" a post); the post moves on.
    post_status = serializers.ChoiceField(
        PagePostStatus.choices, source="page_post.status", read_only=True, allow_null=True,
        default=None, help_text="The queued Page post's status now; null when none was queued.")

    class Meta:
        model = WebhookDelivery
        fields = ("delivery_id", "event", "action", "tag", "outcome", "detail", "page_post",
                  "post_status", "times_received", "received_at", "last_received_at")


class AutomationSerializer(serializers.ModelSerializer):
    created_by = StaffUserSerializer(allow_null=True)
    installation = serializers.IntegerField(
        source="installation.github_id", allow_null=True, read_only=True,
        help_text="App mode: GitHub's installation id; null in the other modes.")
    disabled_reason = serializers.ChoiceField(
        DisabledReason.choices, allow_blank=True,
        help_text="Why the app disabled it (uninstalled, suspended, repository removed); "
                  "empty when it did not.")
    hook_registered = serializers.SerializerMethodField()
    payload_url = serializers.SerializerMethodField()
    recent_deliveries = serializers.SerializerMethodField()

    class Meta:
        model = Automation
        fields = ("id", "repository", "events", "message_template", "link", "enabled",
                  "hook_mode", "installation", "disabled_reason", "hook_registered",
                  "payload_url", "created_by", "created_at",
                  "updated_at", "recent_deliveries", "image", "targets")
        extra_kwargs = {"targets": {"help_text": 'Where each release is posted: ["facebook"] '
                                                 'or ["facebook", "instagram"].'}}

    def get_hook_registered(self, automation) -> bool:
        return automation.hook_id is not None

    def get_payload_url(self, automation) -> str:
        return automation_service.payload_url(automation)

    @extend_schema_field(DeliverySerializer(many=True))
    def get_recent_deliveries(self, automation) -> list[dict]:
        return DeliverySerializer(selectors.recent_deliveries(automation), many=True).data


class AutomationFields(StrictSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(AutomationEvent.choices),
                                   min_length=1, max_length=2)
    message_template = serializers.CharField(max_length=5000, trim_whitespace=False,
                                             help_text=TEMPLATE_HELP)
    link = serializers.URLField(max_length=2000, allow_blank=True, required=False,
                                help_text="Empty: the release's URL.")
    enabled = serializers.BooleanField(required=False)
    image = serializers.IntegerField(required=False, allow_null=True, min_value=1, help_text=(
        "An uploaded image's id (POST /media): each release becomes a photo post."))
    targets = serializers.ListField(
        child=serializers.ChoiceField(choices=["facebook", "instagram"]), required=False,
        min_length=1, max_length=2, help_text=(
            '["facebook"] (the default) or ["facebook", "instagram"] (needs an image with an '
            "aspect ratio from 4:5 to 1.91:1, and Instagram connected when a release comes)."))

    def validate_events(self, events):
        return list(dict.fromkeys(events))

    def validate_message_template(self, template):
        problems = template_problems(template)
        if problems:
            raise serializers.ValidationError(problems)
        return template


def _automation(pk: int) -> Automation:
    automation = selectors.automations_with_deliveries().filter(pk=pk).first()
    if automation is None:
        raise NotFound("No such automation.")
    return automation


EXAMPLE = {"repository": "octocat/hello-world", "events": ["release"],
           "message_template": "{repository} {tag} is out: {name} {url}", "mode": "github"}


APP_EXAMPLE = {"repository": "octocat/hello-world", "events": ["release"],
               "message_template": "{repository} {tag} is out: {name} {url}", "mode": "app",
               "installation": 60000001}


class AutomationsView(StaffView):
    provider_bound_methods = ("POST",)  # registers the hook at GitHub (api.middleware)
    class Input(AutomationFields):
        repository = serializers.RegexField(REPOSITORY_RE, help_text="owner/name")
        events = serializers.ListField(child=serializers.ChoiceField(AutomationEvent.choices),
                                       min_length=1, max_length=2, default=["release"])
        mode = serializers.ChoiceField(HookMode.choices, default=HookMode.GITHUB,
                                       help_text="`app`: delivered by the GitHub App "
                                                 "installation (no hook, no scope); "
                                                 "`manual`: answer the secret to paste into "
                                                 "GitHub instead of registering the hook.")
        installation = serializers.IntegerField(
            required=False, min_value=1, max_value=2**53,
            help_text="App mode: GitHub's installation id (GET /api/v1/github/app).")

        def validate_repository(self, repository):
            if selectors.repository_taken(repository):
                raise serializers.ValidationError("This repository has an automation already.")
            return repository

        def validate(self, data):
            app = data.get("mode") == HookMode.APP
            if app and not data.get("installation"):
                raise serializers.ValidationError(
                    {"installation": ["Required in app mode."]})
            if not app and "installation" in data:
                raise serializers.ValidationError(
                    {"installation": ["Only in app mode."]})
            return data

    class Created(AutomationSerializer):
        secret = serializers.CharField(allow_null=True, help_text="Manual mode only, shown once.")

        class Meta(AutomationSerializer.Meta):
            fields = (*AutomationSerializer.Meta.fields, "secret")

    @extend_schema(operation_id="automations_list", tags=TAGS,
                   responses={200: AutomationSerializer(many=True),
                              **error_responses(401, 403)})
    def get(self, request):
        """Every automation, newest first, with its last deliveries."""
        automations = selectors.automations_with_deliveries()
        return Response(AutomationSerializer(automations, many=True).data)

    @extend_schema(
        operation_id="automations_create", tags=TAGS, request=Input,
        responses={201: Created, **error_responses(400, 401, 403, 429, 502),
                   409: error_response(409, "automation_exists",
                                       "This repository has an automation already."),
                   403: error_response(403, "permission_missing",
                                       "Registering a webhook needs admin:repo_hook.")},
        examples=[OpenApiExample("Create", value=EXAMPLE, request_only=True),
                  OpenApiExample("Create in app mode", value=APP_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        """Create an automation; in `github` mode register the repository webhook with the
        staff member's token (403 `permission_missing` names `admin:repo_hook` when the token
        lacks it; 400 `repository_not_administered` when GitHub refuses; 409 `not_linked`
        without a GitHub sign-in)."""
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        created = automation_service.create_automation(user=request.user, **data.validated_data)
        answer = self.Created(created.automation).data
        answer["secret"] = created.secret
        return Response(answer, status=status.HTTP_201_CREATED)


class AutomationView(StaffView):
    # Registers or deletes the hook at GitHub, only when needed (not for a template edit, a
    # manual hook): a slot at that call, and nothing is saved before it (api.middleware).
    provider_bound_lazily = ("PATCH", "DELETE")
    class Input(AutomationFields):
        def get_fields(self):
            fields = super().get_fields()
            for field in fields.values():
                field.required = False
            return fields

    @extend_schema(operation_id="automation_detail", tags=TAGS,
                   responses={200: AutomationSerializer, **error_responses(401, 403, 404)})
    def get(self, request, pk: int):
        return Response(AutomationSerializer(_automation(pk)).data)

    @extend_schema(operation_id="automation_update", tags=TAGS, request=Input,
                   responses={200: AutomationSerializer,
                              **error_responses(400, 401, 403, 404, 502)})
    def patch(self, request, pk: int):
        """Change the template, link, events, or enable/disable (which registers or deletes
        the GitHub hook)."""
        automation = _automation(pk)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        automation = automation_service.update_automation(
            automation=automation, user=request.user, **data.validated_data)
        return Response(AutomationSerializer(automation).data)

    @extend_schema(operation_id="automation_delete", tags=TAGS,
                   responses={204: None, **error_responses(401, 403, 404, 502)})
    def delete(self, request, pk: int):
        """Delete the automation and its GitHub hook."""
        automation_service.delete_automation(automation=_automation(pk), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
