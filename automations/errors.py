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


class InstallationNotYours(IntegrationError):
    """A setup URL's installation_id that GitHub does not show as this staff member's."""

    status = 403
    code = "installation_not_yours"
    default_message = ("GitHub does not show this installation of the app as yours: install "
                       "the app from this site (or ask an owner of that account to).")


class InstallationRequested(IntegrationError):
    status = 400
    code = "installation_requested"
    default_message = ("The installation was only requested: an owner of the account must "
                       "approve it on GitHub first.")


class InstallationUnavailable(IntegrationError):
    """An app-mode automation needs a live installation covering its repository."""

    status = 400
    code = "installation_unavailable"
    default_message = ("That installation is not connected, is suspended or uninstalled, or "
                       "does not include this repository.")
