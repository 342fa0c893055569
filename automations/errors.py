"""The automations' typed errors (mapped to the public shape once, by api.errors)."""

from integrations.errors import IntegrationError


class WebhookSignatureInvalid(IntegrationError):
    status = 401
    code = "signature_invalid"
    default_message = "The X-Hub-Signature-256 header is missing or does not match the body."


class WebhookPayloadInvalid(IntegrationError):
    status = 400
    code = "payload_invalid"
    default_message = "The delivery is not a JSON object with a repository."


class RepositoryNotAdministered(IntegrationError):
    status = 400
    code = "repository_not_administered"
    default_message = ("GitHub refused to register a webhook on this repository: you need admin "
                       "rights on it (or use the manual mode).")


class AutomationExists(IntegrationError):
    status = 409
    code = "automation_exists"
    default_message = "This repository has an automation already."
