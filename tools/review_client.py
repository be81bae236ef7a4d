"""A script's side of the review app (main.py review): start it on a work folder and talk to it over HTTP,
as the browser does. Used by the tests and by bench/review_quality.py's scripted reviewer."""

import contextlib
import hashlib
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def review_app(workdir):
    """main.py review --no-browser on `workdir`; yields its printed address (with the secret)."""
    process = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "review", "--no-browser", "--workdir", str(workdir)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("The review app is at http://127.0.0.1:"), (line, process.stderr.read())
        yield line.split(" at ", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=30)


def base_of(url):
    return url.split("/?", 1)[0]


def token_of(url):
    return url.split("token=", 1)[1]


def call(url, path, body=None, token=None, host=None, cookie=True):
    """(status, JSON or bytes) of one request to the app; a change needs `token` (the X-Token header)."""
    headers = {}
    if token:
        headers["X-Token"] = token
    if cookie:
        headers["Cookie"] = f"facecluster_review={token_of(url)}"
    if host:
        headers["Host"] = host
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(base_of(url) + path, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            raw, status, kind = response.read(), response.status, response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        raw, status, kind = error.read(), error.code, error.headers.get("Content-Type", "")
    return status, json.loads(raw) if "json" in kind else raw


def folder_digest(folder):
    """Every file below `folder` with its SHA-256, less what varies by design: the lock's process id, the crop cache."""
    found = {}
    for path in sorted(Path(folder).rglob("*")):
        relative = path.relative_to(folder).parts
        if path.is_file() and relative[0] not in (".lock", ".cache"):
            found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found
