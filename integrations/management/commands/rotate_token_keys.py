"""Re-encrypt every stored provider token with the newest TOKEN_ENCRYPTION_KEYS key.

Rotation: put the new key first, keep the old ones, run this, then drop the old keys.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from integrations.crypto import EncryptedTextField


class Command(BaseCommand):
    help = "Re-encrypt stored provider tokens with the newest key in TOKEN_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():  # every app's (automations keeps webhook secrets)
            names = [f.name for f in model._meta.concrete_fields
                     if isinstance(f, EncryptedTextField)]
            if not names:
                continue
            with transaction.atomic():
                # Loading decrypts with any key; saving encrypts with the newest one.
                for obj in model.objects.select_for_update().iterator():
                    obj.save(update_fields=names)
                    total += 1
        self.stdout.write(f"Re-encrypted the tokens of {total} rows.")
