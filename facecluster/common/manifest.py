"""What this program wrote in a folder it owns, by content: the one way it tells its files from a person's.

A manifest is a JSON file in the folder: {"files": {relative path: SHA-256}, ...}
plus whatever the folder's owner records beside it (clustered.py: whether a
person has edited the folder; export: which work folder the dataset belongs
to). A file is still ours only if its content still has the recorded hash:
an edit that keeps a file's size and time is still an edit.
"""

import json
import os

from .errors import UserError
from .files import digest, write_text


def listing(folder, skip=()):
    """{relative path (with /): SHA-256} of every file below `folder`, except the top-level names in `skip`."""
    found = {}
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if root == folder and name in skip:
                continue
            path = os.path.join(root, name)
            found[os.path.relpath(path, folder).replace(os.sep, "/")] = digest(path)
    return found


def read(path):
    """The manifest at `path` as a dict, None if there is none; a damaged one is the user's one sentence."""
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise UserError(f"{path} is damaged ({error}); move its folder aside and run again.") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise UserError(f"{path} is damaged (no list of files); move its folder aside and run again.")
    return manifest


def write(path, files, **extra):
    """Record `files` ({relative path: SHA-256}) and the owner's `extra` fields at `path`, atomically."""
    write_text(path, json.dumps(dict(extra, files=files), indent=1, sort_keys=True) + "\n")


def inside(folder, relative):
    """The path of `relative` below `folder`, or None if it would lead outside (absolute, or through '..')."""
    if not isinstance(relative, str) or os.path.isabs(relative) or not relative:
        return None
    base = os.path.realpath(folder)
    target = os.path.realpath(os.path.join(base, relative))
    return target if os.path.commonpath([base, target]) == base and target != base else None


def still_ours(folder, relative, recorded_digest):
    """True if the file at `relative` below `folder` exists and still has the content we wrote."""
    target = inside(folder, relative)
    return target is not None and os.path.isfile(target) and digest(target) == recorded_digest
