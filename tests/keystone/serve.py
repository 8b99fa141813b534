#!/usr/bin/env python3
"""A throwaway OpenStack Keystone for the tests, on SQLite.

Usage: serve.py DIR ADMIN_PASSWORD
Writes keystone.conf into DIR, runs keystone-manage db_sync, fernet_setup,
credential_setup and bootstrap, then serves Keystone's WSGI application on
a free loopback port with wsgiref (one thread per request) and prints
`ready http://127.0.0.1:PORT` once it answers. Runs until killed.

keystone-wsgi-public no longer ships, and gunicorn passes its own command
line to Keystone's config parser, hence these few lines.
"""
import os
import socket
import socketserver
import subprocess
import sys
import wsgiref.simple_server


class QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


class ThreadingServer(socketserver.ThreadingMixIn, wsgiref.simple_server.WSGIServer):
    daemon_threads = True


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(root, admin_password):
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    conf = os.path.join(root, "keystone.conf")
    with open(conf, "w") as f:
        f.write(
            "[DEFAULT]\n"
            "log_file = %(root)s/keystone.log\n"
            "[database]\n"
            "connection = sqlite:///%(root)s/keystone.db\n"
            "[fernet_tokens]\n"
            "key_repository = %(root)s/fernet-keys\n"
            "[fernet_receipts]\n"
            "key_repository = %(root)s/fernet-keys\n"
            "[credential]\n"
            "key_repository = %(root)s/credential-keys\n"
            "[token]\n"
            "expiration = 3600\n" % {"root": root}
        )
    manage = os.path.join(os.path.dirname(sys.executable), "keystone-manage")
    base = [manage, "--config-file", conf]
    user = ["--keystone-user", str(os.getuid()), "--keystone-group", str(os.getgid())]
    for args in (
        ["db_sync"],
        ["fernet_setup"] + user,
        ["credential_setup"] + user,
        ["bootstrap", "--bootstrap-password", admin_password,
         "--bootstrap-public-url", url + "/v3",
         "--bootstrap-region-id", "RegionOne"],
    ):
        subprocess.run(base + args, check=True, stdout=subprocess.DEVNULL)

    from keystone.server.flask import core

    # Keystone's config parser reads sys.argv: leave it nothing of ours.
    del sys.argv[1:]

    app = core.initialize_application(name="public", config_files=[conf])
    server = wsgiref.simple_server.make_server(
        "127.0.0.1", port, app, server_class=ThreadingServer, handler_class=QuietHandler)
    print("ready", url, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: serve.py DIR ADMIN_PASSWORD")
    main(sys.argv[1], sys.argv[2])
