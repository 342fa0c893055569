"""Django's database sessions, read with SQL written once, two queries lighter at sign-in.

* Every signed-in request reads its session: the ORM built that SELECT anew each time
  (filter, compile), which cost more than running it. `_get_session_from_db` runs the same
  SELECT (the key, not expired) as SQL made once per table; the rules do not change.

* A new key is not looked up first: `create()` inserts with `must_create`, so the primary key
  already refuses a collision (CreateError, and `create()` draws again). The lookup only saved
  that retry for a 32-character random key.
* The old session is deleted with one DELETE, not a SELECT and a DELETE (no signals hang on
  sessions).
* A sign-in writes its session once: `cycle_key()` only drops the old row (the next `save()`
  inserts the new one, as after `flush()`), and a `save()` finding the data this store last
  wrote under the same key writes nothing. Before, login inserted the session with the old data
  and the middleware updated it with the new, in a second transaction.
"""

from functools import cache

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections
from django.utils import timezone
from django.utils.crypto import get_random_string


@cache
def _select_sql(alias: str, table: str) -> str:
    """Identifiers from the model, quoted by the backend; the values are parameters."""
    quote = connections[alias].ops.quote_name
    return (f"SELECT {quote('session_data')} FROM {quote(table)} "  # noqa: S608
            f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s")


class SessionStore(DatabaseSessionStore):
    _written: tuple[str, bytes] | None = None  # (key, serialized data) this store last saved

    def _get_session_from_db(self):
        """The live session row (only its data: all `load()` reads), or None, as Django's
        `objects.get(session_key=…, expire_date__gt=now)` would find it."""
        if self.session_key is None:
            return None
        alias = self.model.objects.db
        connection = connections[alias]
        sql = _select_sql(alias, self.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key,
                                 connection.ops.adapt_datetimefield_value(timezone.now())])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return self.model(session_key=self.session_key, session_data=row[0])

    def _get_new_session_key(self) -> str:
        return get_random_string(32, VALID_KEY_CHARS)

    def delete(self, session_key: str | None = None) -> None:
        session_key = session_key or self.session_key
        if session_key is not None:
            self.model.objects.filter(session_key=session_key).delete()

    def cycle_key(self) -> None:
        """Django's `cycle_key()` inserts the new row at once; here the next `save()` does."""
        data = self._session
        key = self.session_key
        self._session_key = None
        self._session_cache = data
        self.modified = True
        if key:
            self.delete(key)

    def save(self, must_create: bool = False) -> None:
        """As Django's, except that data already written by this store under its key (compared
        serialized, so a change inside a nested value counts) is not written again."""
        if (not must_create and self._written is not None
                and self._written == (self.session_key, self._serialized())):
            return
        super().save(must_create=must_create)
        if self.session_key is not None:
            self._written = (self.session_key, self._serialized())

    def _serialized(self) -> bytes:
        return self.serializer().dumps(self._get_session())
