from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Provider integrations"

    def ready(self) -> None:
        # Importing the tasks binds the `task_queue` slots that services enqueue through.
        import integrations.tasks  # noqa: F401
        from integrations import checks  # (importing registers the system checks)

        checks.warn_about_staff_logins()
