"""Post to the linked Facebook Page from the command line (cron jobs, event monitors)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from integrations.errors import IntegrationError
from integrations.models import PagePostSource, PagePostStatus
from integrations.services.page_posts import enqueue_page_post, publish_page_post


class Command(BaseCommand):
    help = ("Post a message (and optionally a link) to the linked Facebook Page; the attempt is "
            "recorded like the API's posts.")

    def add_arguments(self, parser):
        parser.add_argument("message", help="Text of the post.")
        parser.add_argument("--link", help="An http(s) URL to attach.")
        parser.add_argument("--schedule", metavar="ISO_TIME",
                            help="Publish later, e.g. 2026-12-01T10:00:00Z (10 min to 30 days).")
        parser.add_argument("--idempotency-key", metavar="KEY",
                            help="Makes re-running the same command safe: it posts once.")
        parser.add_argument("--queue", action="store_true",
                            help="Return at once and let the worker post it (with retries).")

    def handle(self, *args, message, link=None, schedule=None, idempotency_key=None,
               queue=False, **options):
        scheduled_at = None
        if schedule:
            scheduled_at = parse_datetime(schedule)
            if scheduled_at is None:
                raise CommandError("--schedule: not an ISO 8601 date and time.")
        send = enqueue_page_post if queue else publish_page_post
        try:
            post = send(message=message, link=link, scheduled_at=scheduled_at,
                        idempotency_key=idempotency_key, source=PagePostSource.COMMAND)
        except IntegrationError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        if post.status == PagePostStatus.FAILED:
            raise CommandError(f"Post #{post.pk} failed earlier: {post.error_code}: "
                               f"{post.error_message}")
        self.stdout.write(f"Post #{post.pk} {post.status}"
                          + (f": {post.facebook_post_id}" if post.facebook_post_id else ""))
