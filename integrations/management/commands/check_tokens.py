"""Check every token now (cron: daily), or hand the check to the worker with --queue."""

from django.core.management.base import BaseCommand

from integrations.services.token_warnings import check_tokens


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
        new = check_tokens()
        for warning in new:
            self.stdout.write(f"{warning.code}: {warning.message}")
        self.stdout.write(f"{len(new)} new warning(s) sent.")
