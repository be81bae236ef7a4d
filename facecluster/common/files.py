"""Atomic writes (a run killed at any moment leaves either the old file or the new one), and CSV in and out."""

import contextlib
import csv
import hashlib
import io
import os
import tempfile

import cv2

from .errors import UserError

_UMASK = os.umask(0)
os.umask(_UMASK)  # read once: the mode a plain open() would give new files


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; rename it onto `path` if the block succeeds."""
    folder = os.path.dirname(os.path.abspath(path))
    base, ext = os.path.splitext(os.path.basename(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=f".tmp{ext}", dir=folder)
    os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; the user's umask decides, as for any file they write
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def digest(path):
    """SHA-256 of a file's content."""
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def write_bytes(path, data):
    try:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                f.write(data)
    except OSError as error:
        if error.filename is None:  # a failed write (a full disk) names no file: name the one it was for
            raise OSError(error.errno, error.strerror, str(path)) from None
        raise


def write_text(path, text):
    write_bytes(path, text.encode("utf-8"))


def image_bytes(path, image, jpeg_quality=95):
    """The file content of a BGR image written to `path` (its extension picks the format)."""
    ext = os.path.splitext(path)[1] or ".jpg"
    ok, encoded = cv2.imencode(ext, image, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
    if not ok:
        raise OSError(f"OpenCV could not encode an image for {path}")
    return encoded.tobytes()


def write_image(path, image, jpeg_quality=95):
    """Write a BGR image; the extension of `path` picks the format."""
    write_bytes(path, image_bytes(path, image, jpeg_quality))


def remove_stale_temporaries(folder):
    """Delete the temporary files of writes that a killed run never finished."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name.startswith(".") and ".tmp" in name:
            try:
                os.unlink(os.path.join(folder, name))
            except OSError:
                pass


def read_csv_rows(path):
    """The rows of a CSV file this program wrote, as dicts; a missing file is the user's one sentence."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    except FileNotFoundError:
        raise UserError(f"There is no {path}; run main.py on your footage first.") from None


def csv_text(rows, columns):
    """CSV text of `rows` (dicts) with these columns, other keys ignored."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
