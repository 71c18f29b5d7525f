"""Django's development server, answering without the 40 ms Nagle / delayed-ACK stall.

The server writes a response's headers and body in separate small sends; on a kept-alive
connection the second waits for the client's delayed ACK. The sandbox help desks are
served by this server, so every API call of a sandbox migration would pay that wait.
"""

import socket

from django.core.management.commands.runserver import Command as RunserverCommand
from django.core.servers.basehttp import WSGIServer


class NoDelayWSGIServer(WSGIServer):
    def get_request(self):
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


class Command(RunserverCommand):
    server_cls = NoDelayWSGIServer
