"""Django's database sessions, two queries lighter where a sign-in starts one.

* A new key is not looked up first: `create()` inserts with `must_create`, so the primary key
  already refuses a collision (CreateError, and `create()` draws again). The lookup only saved
  that retry for a 32-character random key.
* The old session is deleted with one DELETE, not a SELECT and a DELETE (no signals hang on
  sessions).
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils.crypto import get_random_string


class SessionStore(DatabaseSessionStore):
    def _get_new_session_key(self) -> str:
        return get_random_string(32, VALID_KEY_CHARS)

    def delete(self, session_key: str | None = None) -> None:
        session_key = session_key or self.session_key
        if session_key is not None:
            self.model.objects.filter(session_key=session_key).delete()
