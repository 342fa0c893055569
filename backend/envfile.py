"""Writes a local `.env` with freshly generated secrets, so `make run` needs no typing."""

import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet

TEMPLATE = """\
# Written by `make run` on first start. Local development only; git-ignored.
DJANGO_DEBUG=1
DJANGO_SECRET_KEY={secret_key}
TOKEN_ENCRYPTION_KEYS={fernet_key}
# Real providers: set these and the sandbox is not started (see README).
# GITHUB_CLIENT_ID=
# GITHUB_CLIENT_SECRET=
# FACEBOOK_APP_ID=
# FACEBOOK_APP_SECRET=
"""


def write_env_file(path: Path) -> bool:
    if path.exists():
        return False
    path.write_text(TEMPLATE.format(secret_key=secrets.token_urlsafe(50),
                                    fernet_key=Fernet.generate_key().decode()))
    path.chmod(0o600)
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
    if write_env_file(target):
        print(f"Wrote {target} with a generated secret key and token encryption key.")
