from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from api import schema  # noqa: F401  (registers the OpenAPI auth extensions)
        from api.principal import connect_signals

        connect_signals()  # a cached session principal is invalidated by every change to it
