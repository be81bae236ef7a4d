"""Writing Dataset/: only ever our own files, inside the folder, and only for the work folder it belongs to.

Dataset/.export-manifest.json records which work folder the dataset was
exported from (its identity, which a copy of the folder keeps) and every file export wrote, by content (manifest.py). A file
is replaced or removed only if it is still what export wrote; a path in the
manifest that leads outside the folder is never touched.
"""

import os
import shutil

from ..common import manifest
from ..common.errors import UserError
from ..common.files import atomic_path, digest, write_text

MANIFEST = ".export-manifest.json"


def owned_files(out, identity):
    """{relative path: SHA-256} of the files an earlier export from `workdir` wrote in `out`.

    Refuses a folder export did not make, and one exported from another work folder.
    """
    if os.path.exists(out) and not os.path.isdir(out):
        raise UserError(f"{out} is a file, not a folder; choose another --out.")
    recorded = manifest.read(os.path.join(out, MANIFEST))
    if recorded is None:
        if os.path.isdir(out) and os.listdir(out):
            raise UserError(f"{out} already exists and was not written by export; choose another --out.")
        return {}
    if recorded.get("work_folder", identity) != identity:
        raise UserError(f"{out} holds a dataset exported from another work folder; choose another --out.")
    return recorded["files"]


def write(out, identity, wanted, owned, yours_to_edit=()):
    """Write `wanted` ({relative path: ("copy", source) or ("text", content)}); remove what an earlier export
    wrote that is no longer wanted. Nothing is written until every target is known to be ours to write.

    yours_to_edit: files the person may edit (classes.txt, to reorder the classes) whose new content was
    made from their edit, so rewriting them keeps it."""
    for relative in wanted:
        target = manifest.inside(out, relative)
        if target is None:
            raise UserError(f"{relative} would lie outside {out}; nothing was written.")
        if relative in yours_to_edit and os.path.isfile(target) and not os.path.islink(target):
            continue
        if os.path.exists(target) and not manifest.still_ours(out, relative, owned.get(relative)):
            raise UserError(f"{target} exists and is not a file export wrote (or you changed it); "
                            "move it and export again.")
    written = {}
    for relative, (kind, content) in wanted.items():
        target = os.path.join(out, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if kind == "copy":
            with atomic_path(target) as temporary:
                shutil.copyfile(content, temporary)
        else:
            write_text(target, content)
        written[relative] = digest(target)
    for relative in sorted(set(owned) - set(wanted)):
        if manifest.still_ours(out, relative, owned[relative]):  # inside `out`, and still what we wrote
            os.unlink(manifest.inside(out, relative))
    manifest.write(os.path.join(out, MANIFEST), written, work_folder=identity)
