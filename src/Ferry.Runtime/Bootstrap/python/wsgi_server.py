"""Serves a WSGI app on $HOST:$PORT with gunicorn for Ferry's framework presets (flask, django).

Usage: python3 wsgi_server.py MODULE:CALLABLE

The gateway strips the app's public prefix (/service/stage) from the path and sends it as X-Forwarded-Prefix;
it becomes the request's SCRIPT_NAME, so url_for (Flask) and reverse (Django) build links under it.
"""

import importlib
import os
import sys

from gunicorn.app.base import BaseApplication


class ScriptNameFromPrefix:
    """Sets SCRIPT_NAME from the gateway's X-Forwarded-Prefix (the gateway replaces any value a client sent)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        prefix = environ.get("HTTP_X_FORWARDED_PREFIX", "").strip().rstrip("/")
        if prefix.startswith("/") and ".." not in prefix:
            environ["SCRIPT_NAME"] = prefix
        return self.app(environ, start_response)


def load(target):
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    app = module
    for part in (attribute or "application").split("."):
        app = getattr(app, part)
    return app


class FerryWsgiServer(BaseApplication):
    def __init__(self, target):
        self.target = target
        super().__init__()

    def load_config(self):
        host = os.environ.get("HOST", "127.0.0.1")
        self.cfg.set("bind", [f"{host}:{os.environ['PORT']}"])
        self.cfg.set("workers", int(os.environ.get("WEB_CONCURRENCY", "1")))
        self.cfg.set("worker_class", "gthread")
        self.cfg.set("threads", int(os.environ.get("FERRY_WSGI_THREADS", "8")))
        self.cfg.set("preload_app", True)  # import errors stop the start at once, with the traceback in the logs
        self.cfg.set("graceful_timeout", 5)
        self.cfg.set("errorlog", "-")
        self.cfg.set("proc_name", f"ferry-{self.target}")

    def load(self):
        return ScriptNameFromPrefix(load(self.target))


if __name__ == "__main__":
    if len(sys.argv) != 2 or ":" not in sys.argv[1]:
        sys.exit("ferry wsgi server: usage: python3 wsgi_server.py MODULE:CALLABLE")
    sys.path.insert(0, os.getcwd())
    FerryWsgiServer(sys.argv[1]).run()
