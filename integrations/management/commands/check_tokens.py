"""Check every token now (cron: daily), or hand the check to the worker with --queue."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integrations.errors import IntegrationError, ProviderNotConfigured
from integrations.services.token_warnings import check_tokens

MAKE_RUN_HINT = (" For the demo, run this while `make run` runs: commands beside it read the "
                 "sandbox settings it writes to .run/make-run.env.")


class Command(BaseCommand):
    help = ("Warn staff by email about Facebook and GitHub tokens that expire within "
            "TOKEN_EXPIRY_WARNING_DAYS or are invalid; each threshold warns once.")

    def add_arguments(self, parser):
        parser.add_argument("--queue", action="store_true",
                            help="Enqueue the check for the worker instead of running it here.")

    def handle(self, *args, queue=False, **options):
        if queue:
            from integrations.tasks import check_tokens as check_tokens_task

            result = check_tokens_task.enqueue()
            self.stdout.write(f"Token check queued (task {result.id}).")
            return
        try:
            new = check_tokens()
        except IntegrationError as exc:  # one line, never a traceback
            hint = MAKE_RUN_HINT if isinstance(exc, ProviderNotConfigured) and settings.DEBUG \
                else ""
            raise CommandError(f"{exc.code}: {exc.message}{hint}") from exc
        for warning in new:
            self.stdout.write(f"{warning.code}: {warning.message}")
        self.stdout.write(f"{len(new)} new warning(s) sent.")
