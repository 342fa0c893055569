from django.apps import AppConfig


class AutomationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "automations"
    verbose_name = "Release automations"

    def ready(self):
        from automations import checks  # noqa: F401 (importing registers the system checks)
