"""Periodic clean-up for cron (every few minutes): see integrations.services.maintenance."""

from django.core.management.base import BaseCommand

from integrations.services.maintenance import sweep


class Command(BaseCommand):
    help = ("Delete expired OAuth flows and old task results, and hand Page posts left pending "
            "by a dead process to reconciliation (run it from cron every few minutes).")

    def handle(self, *args, **options):
        counts = sweep()
        self.stdout.write(", ".join(f"{name}: {count}" for name, count in counts.items()))
