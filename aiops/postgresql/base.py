"""Django's PostgreSQL backend with a health check that costs no round trip.

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` before the first query of every request that
reuses a persistent connection: a round trip (and, under load, a GIL hand-off) on every
request. A server that ended the connection (a restart, pg_terminate_backend, an idle timeout
of PostgreSQL or a pooler) has written its goodbye and closed the socket, so the socket reads
as ready while the connection idles; a healthy idle connection has nothing to read. Only then
is `SELECT 1` sent, and the connection replaced if that fails. A peer that vanished without a
word (no FIN) is not found by either check before a query waits on it.
"""

import select

from django.db.backends.postgresql import base


def has_pending_input(fd: int) -> bool:
    """Whether `fd` has something to read (or is closed), without waiting."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        if self.connection.closed or (
            has_pending_input(self.connection.fileno()) and not self.is_usable()
        ):
            self.close()
        self.health_check_done = True
