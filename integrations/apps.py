from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Provider integrations"

    def ready(self) -> None:
        from integrations import checks  # (importing registers the system checks)

        checks.warn_about_staff_logins()
