from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Provider integrations"

    def ready(self) -> None:
        # Importing the tasks binds the `task_queue` slots that services enqueue through.
        import integrations.tasks  # noqa: F401
        from integrations import checks  # (importing registers the system checks)

        checks.warn_about_staff_logins()

        from django.conf import settings

        from integrations.media.pipeline import configure_pillow

        configure_pillow(settings.MEDIA_MAX_PIXELS)
