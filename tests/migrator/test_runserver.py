import socket
import threading

from django.core.management import get_commands, load_command_class

from migrator.management.commands.runserver import NoDelayWSGIServer


def test_development_server_is_the_one_without_nagle_stalls():
    command = load_command_class(get_commands()["runserver"], "runserver")
    assert command.server_cls is NoDelayWSGIServer


def test_accepted_connections_send_small_writes_at_once():
    server = NoDelayWSGIServer(("127.0.0.1", 0), None)
    accepted = {}

    def accept():
        connection, _address = server.get_request()
        accepted["nodelay"] = connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        connection.close()

    thread = threading.Thread(target=accept)
    thread.start()
    with socket.create_connection(server.server_address):
        thread.join(timeout=5)
    server.server_close()
    assert accepted["nodelay"] == 1
