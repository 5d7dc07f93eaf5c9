"""The application served for real on a loopback port, for browser journeys.

Production-like on purpose: CSRF enabled (every page form must carry its token), TESTING off (errors
go through the Chinese error pages), a fresh SQLite database migrated from empty and seeded like
`make run`, plus one user per role (tests/conftest.py USERS). Only the login throttle is off: the
journeys log in many times from one address; the throttle itself is tested by the security tests.
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading

from werkzeug.serving import make_server


class LiveServer:
    """`with LiveServer() as server: server.url` — a threaded werkzeug server in a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **config):
        self.host, self.port, self.extra_config = host, port, config
        self.url = ""
        self.app = None
        self._server = None
        self._thread = None
        self._dir = None

    def start(self) -> "LiveServer":
        from app import create_app
        from tests.conftest import prepare_database

        self._dir = tempfile.mkdtemp(prefix="fyld-live-")
        config = {
            "TESTING": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{os.path.join(self._dir, 'live.db')}",
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": False,
            "AUTH_RATE_LIMITED": False,
            "UPLOAD_FOLDER": os.path.join(self._dir, "uploads"),
            "SERVER_NAME": None,
        }
        config.update(self.extra_config)
        self.app = create_app(config)
        prepare_database(self.app)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per asset
        # port 0: the OS picks a free port, read back from the bound socket
        self._server = make_server(self.host, self.port, self.app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.app is not None:
            from app.extensions import db

            with self.app.app_context():
                db.session.remove()
                db.engine.dispose()
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
