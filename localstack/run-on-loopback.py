# Starts LocalStack's runtime with its (default, twisted) gateway listening on 127.0.0.1 only.
#
# LocalStack 2026.3.0 and 4.x ignore the host of GATEWAY_LISTEN for IPv4 in their twisted server
# (`TCP4ServerEndpoint(reactor, port)`, marked "TODO: interface = host?" in
# localstack/runtime/server/twisted.py), so they listen on every interface, which would expose an
# unauthenticated S3 and SQS to the network. This wrapper supplies the missing interface.
#
# The alternative server (GATEWAY_SERVER=hypercorn) does bind 127.0.0.1, but its HTTP/HTTPS
# sniffing leaves many accepted sockets blocking with a 1 s timeout: a client that pauses reading a
# large download (as a streaming copy does while it uploads) stalls LocalStack for a second and
# loses the connection. See docs/aws.md.
import os
import runpy

from twisted.internet import endpoints

_original = endpoints.TCP4ServerEndpoint
_interface = os.environ.get("LOCALSTACK_BIND_ADDRESS", "127.0.0.1")


def _bound_to_loopback(reactor, port, backlog=50, interface=""):
    return _original(reactor, port, backlog, interface or _interface)


endpoints.TCP4ServerEndpoint = _bound_to_loopback
runpy.run_module("localstack.runtime.main", run_name="__main__", alter_sys=True)
