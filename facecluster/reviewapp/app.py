"""The review app's server: a Flask app on 127.0.0.1, closed to everyone without the secret it prints.

Every request must carry the per-start secret (in the printed URL as ?token=, then in a cookie the first answer
sets; changes need it in the X-Token header too, so another site cannot make the browser send one), and a Host
header naming this server (a page elsewhere cannot reach it through a DNS name pointed at 127.0.0.1).
"""

import contextlib
import hmac
import io
import os
import secrets
import sys
import threading
import webbrowser

from flask import Flask, abort, jsonify, request
from werkzeug.serving import make_server

from ..common.errors import UserError
from ..common.workfolder import WorkFolder
from .history import History
from .model import Review

COOKIE = "facecluster_review"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def create_app(workdir, token, allowed_hosts):
    """The Flask app for `workdir`; `allowed_hosts` are the host:port values the Host header may hold."""
    clustered = WorkFolder(workdir).clustered
    if not os.path.isdir(clustered):
        raise UserError(f"There is no {clustered} folder; run main.py on your footage first.")
    app = Flask(__name__)
    app.config.update(WORKDIR=workdir, TOKEN=token, ALLOWED_HOSTS=set(allowed_hosts), MAX_CONTENT_LENGTH=1 << 20)
    history = History(workdir, clustered)
    history.finish_pending()  # an action a killed app left half done
    app.extensions["review"] = Review(workdir, history)
    app.extensions["history"] = history

    @app.before_request
    def closed_to_others():
        if request.host not in app.config["ALLOWED_HOSTS"]:
            abort(403, "This review app answers only at the address it printed.")
        given = request.args.get("token") or request.headers.get("X-Token") or request.cookies.get(COOKIE) or ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            abort(403, "This review app needs the secret in the address main.py review printed.")
        if request.method != "GET" and not hmac.compare_digest(request.headers.get("X-Token", "").encode(), token.encode()):
            abort(403, "A change needs the secret in the X-Token header.")

    @app.after_request
    def remember(response):
        if request.args.get("token") == token:
            response.set_cookie(COOKIE, token, httponly=True, samesite="Strict")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"  # the secret is in the URL: never send it elsewhere
        return response

    @app.errorhandler(UserError)
    def user_error(error):
        return jsonify(error=str(error)), 409

    for code in (400, 403, 404, 405, 413):
        app.register_error_handler(code, lambda e: (jsonify(error=e.description), e.code))

    from . import views

    app.register_blueprint(views.blueprint)
    return app


def serve(workdir, host="127.0.0.1", port=0, open_browser=True):
    """Run the app until Ctrl-C; print its address (with the secret) first."""
    token = secrets.token_urlsafe(24)
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # werkzeug's own two lines and exit: ours is one sentence
            server = make_server(host, port, None, threaded=True)
    except (SystemExit, OSError):
        raise UserError(f"Cannot listen on {host} port {port}: it is in use or not this computer's; choose another "
                        "--port (or leave it out for a free one) or --host.") from None
    port = server.server_port
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"Warning: the review app listens on {host}, so other computers can reach it; anyone with the "
              "printed address can change your folders.", file=sys.stderr)
    shown = f"[{host}]" if ":" in host else host
    allowed = {f"{h}:{port}" for h in LOOPBACK} | {f"{shown}:{port}"}
    server.app = create_app(workdir, token, allowed)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else shown}:{port}/?token={token}"
    print(f"The review app is at {url}\n(Ctrl-C stops it; every change is saved as you make it.)", flush=True)
    if open_browser and (sys.platform in ("darwin", "win32") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        # Only where a window can open (a console browser would take the terminal), and beside the server.
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("Review app stopped; your changes are in the folders.", file=sys.stderr)
    finally:
        server.server_close()
    return 0
