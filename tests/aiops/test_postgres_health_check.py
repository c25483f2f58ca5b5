"""The PostgreSQL health check asks the socket first: no round trip for a healthy connection,
and a connection the server ended is replaced before the request's first query."""

import select
import socket
from unittest import mock

import pytest
from django.db import connection, connections

from aiops.postgresql.base import DatabaseWrapper, has_pending_input


def test_pending_input_is_what_the_peer_wrote_or_its_hang_up():
    ours, theirs = socket.socketpair()
    try:
        assert not has_pending_input(ours.fileno())
        theirs.sendall(b"x")
        assert has_pending_input(ours.fileno())
        ours.recv(1)
        assert not has_pending_input(ours.fileno())
        theirs.close()
        assert has_pending_input(ours.fileno())
    finally:
        ours.close()


@pytest.fixture
def postgres(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    assert isinstance(connections["default"], DatabaseWrapper)
    assert connection.health_check_enabled
    connection.close()  # a new connection: one older than CONN_MAX_AGE is closed for its age


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _new_request() -> None:
    """What Django does when a request starts (the request_started signal's handler)."""
    connection.close_if_unusable_or_obsolete()


@pytest.mark.postgres
def test_a_healthy_connection_is_reused_without_select_1(postgres):
    pid = _backend_pid()
    _new_request()
    with mock.patch.object(DatabaseWrapper, "is_usable", autospec=True) as is_usable:
        assert _backend_pid() == pid
    is_usable.assert_not_called()


@pytest.mark.postgres
def test_a_connection_the_server_ended_is_replaced_before_the_first_query(postgres):
    pid = _backend_pid()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    # pg_terminate_backend only signals the backend: wait until it has hung up.
    select.select([connection.connection.fileno()], [], [], 10)
    _new_request()
    with mock.patch.object(
        DatabaseWrapper, "is_usable", autospec=True, side_effect=DatabaseWrapper.is_usable
    ) as is_usable:
        assert _backend_pid() != pid
    is_usable.assert_called_once()
