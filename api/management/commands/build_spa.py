"""`manage.py build_spa --api-url URL --output DIR`: the SPA as a folder for a static host."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from backend.spa_build import build_spa


class Command(BaseCommand):
    help = ("Write the SPA for a static host: index.html (serve it for every SPA route), "
            "static/ (with config.js pointing at --api-url) and _headers (headers to send).")

    def add_arguments(self, parser):
        parser.add_argument("--api-url", required=True,
                            help="Where the API is, e.g. https://api.example.com")
        parser.add_argument("--output", required=True, type=Path,
                            help="Folder to write (replaced if it exists)")

    def handle(self, *args, api_url, output, **options):
        try:
            written = build_spa(api_url=api_url, output=output)
        except (ImproperlyConfigured, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        for path in written:
            self.stdout.write(f"Wrote {path}")
        self.stdout.write(f"Deploy {output}, then set SPA_URL on the API to where it is served "
                          "(README: Integration modes).")
