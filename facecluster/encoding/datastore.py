"""Stage 2's output and stage 3: per-frame pickles in Encodings/, merged into encodings.pickle.

Every pickle this project reads goes through `load_pickle`, which refuses any
type the project does not itself write, so a foreign or malicious pickle can
never run code.
"""

import io
import json
import os
import pickle

import numpy as np
from tqdm import tqdm

from ..common.errors import UserError
from ..common.files import remove_stale_temporaries, write_bytes, write_text
from ..common.table import FORMAT as TABLE_FORMAT
from ..common.table import LEGACY_FORMAT as LEGACY_TABLE_FORMAT
from ..common.table import FaceTable
from ..common.workfolder import WorkFolder
from ..sampling.frames import Frame

FRAME_FORMAT = "facecluster.frame/1"

# What numpy arrays and scalars need to unpickle (numpy 1 and numpy 2 module
# names); nothing else outside the builtin containers is allowed.
_ALLOWED_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refused type {module}.{name}")


def load_pickle(path, expected_format):
    """Load a pickle written by this project, or raise UserError naming the file.

    expected_format: the format name the pickle must declare (or a tuple of the names accepted).
    """
    accepted = expected_format if isinstance(expected_format, tuple) else (expected_format,)
    try:
        with open(path, "rb") as f:
            data = _RestrictedUnpickler(io.BytesIO(f.read())).load()
    except PermissionError:
        raise UserError(f"Cannot read {path}: permission denied.") from None
    except Exception as error:
        raise UserError(
            f"{path} is not a pickle this program wrote ({error}); move it out of the way or use --fresh."
        ) from None
    if not isinstance(data, dict) or data.get("format") not in accepted:
        raise UserError(f"{path} is not a {accepted[0]} pickle; move it out of the way or use --fresh.")
    return data


def save_pickle(path, data):
    write_bytes(path, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))


def frame_record(frame, faces):
    """What one frame's pickle holds: the frame (a plain dict) and its faces."""
    return {"format": FRAME_FORMAT, "frame": frame, "faces": faces}


def encoded_frame_ids(workdir):
    """Frame ids whose pickle is already in Encodings/, each checked by loading it."""
    folder = WorkFolder(workdir)
    remove_stale_temporaries(folder.encodings)
    done = set()
    for frame_id in folder.frame_pickle_ids():
        path = folder.frame_pickle(frame_id)
        if not os.path.isfile(path):
            raise UserError(f"{path} is a folder, not a file this program wrote; move it out of the way.")
        _check_frame_record(load_pickle(path, FRAME_FORMAT), path)
        done.add(frame_id)
    return done


def _check_frame_record(record, path):
    faces = record.get("faces")
    if not isinstance(record.get("frame"), dict) or not isinstance(faces, list) or not all(
        isinstance(face, dict) and np.ndim(face.get("encoding")) == 1 and len(face.get("box", ())) == 4
        and np.isfinite(np.asarray(face["encoding"], dtype=np.float64)).all()
        for face in faces
    ):
        raise UserError(f"{path} does not hold a frame's faces as this program writes them; move it out of the way or use --fresh.")


# What settings.json files written before a setting existed mean by its absence.
LEGACY_SETTINGS = {"encoder": "dlib"}


def _describe(settings, keys):
    return ", ".join(f"{k}={settings.get(k, LEGACY_SETTINGS.get(k))}" for k in keys)


def _recorded_settings(folder):
    try:
        with open(folder.settings, encoding="utf-8") as f:
            recorded = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise UserError(f"{folder.settings} is unreadable ({error}); move it out of the way or use --fresh.") from None
    if not isinstance(recorded, dict) or not isinstance(recorded.get("sources", {}), dict):
        raise UserError(f"{folder.settings} is not what this program writes; move it out of the way or use --fresh.")
    return recorded


def recorded_sources(workdir):
    """{source name: fingerprint} of the footage earlier runs encoded in this work folder."""
    return dict((_recorded_settings(WorkFolder(workdir)) or {}).get("sources", {}))


def check_settings(workdir, settings):
    """Record the run's settings once per work folder; refuse to mix encodings made differently."""
    folder = WorkFolder(workdir)
    path = folder.settings
    recorded = _recorded_settings(folder)
    if recorded is None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_text(path, json.dumps(settings, indent=2, sort_keys=True) + "\n")
        return
    sources = dict(recorded.get("sources", {}))
    keys = (set(settings) | set(recorded)) - {"sources"}
    changed = sorted(k for k in keys if recorded.get(k, LEGACY_SETTINGS.get(k)) != settings.get(k))
    if {"detector", "encoder"} & set(changed):
        changed = [k for k in changed if k != "models"]  # other engines have other models: no need to say it
    if changed == ["models"]:
        raise UserError(
            f"{folder.encodings} was made with other model files than these (--models); "
            "rerun with the same models, use another --workdir, or add --fresh to start over."
        )
    if changed:
        raise UserError(
            f"{folder.encodings} was made with {_describe(recorded, changed)}, "
            f"not {_describe(settings, changed)}; rerun with the same settings, use another --workdir, "
            "or add --fresh to start over."
        )
    for name, fingerprint in settings.get("sources", {}).items():
        content = {k: v for k, v in fingerprint.items() if k != "path"}
        if name in sources and {k: v for k, v in sources[name].items() if k != "path"} != content:
            raise UserError(  # run.py names sources so that this cannot happen; kept as a last guard
                f"Frames/{name} was made from a different file than {fingerprint['path']}; "
                "use another --workdir, or add --fresh to start over."
            )
        sources[name] = fingerprint
    if sources != recorded.get("sources", {}):
        write_text(path, json.dumps(dict(recorded, sources=sources), indent=2, sort_keys=True) + "\n")


class PicklesListCollator:
    """Merges per-frame pickles, in the order given, into one FaceTable (table.py), saved as encodings.pickle.

    encoder: the name of the encoder that made the encodings (it gives every distance threshold's scale).
    """

    def __init__(self, pickle_paths, encoder, progress=True):
        self.pickle_paths = list(pickle_paths)
        self.encoder = encoder
        self.progress = progress

    def collate(self, output_path=None):
        """The FaceTable of every face of every frame, in order; also written to `output_path` if given."""
        paths = tqdm(self.pickle_paths, desc="Collating", unit="frame", disable=not self.progress or len(self.pickle_paths) < 200)
        table = FaceTable.from_frames((_frame_and_faces(path) for path in paths), self.encoder)
        if output_path is not None:
            save_pickle(output_path, table.to_record())
        return table


def _frame_and_faces(path):
    record = load_pickle(path, FRAME_FORMAT)
    _check_frame_record(record, path)
    try:
        return Frame(**record["frame"]), record["faces"]
    except TypeError:
        raise UserError(f"{path} does not hold a frame as this program writes it; move it out of the way or use --fresh.") from None


def load_collated(path):
    """The FaceTable saved in encodings.pickle."""
    record = load_pickle(path, (TABLE_FORMAT, LEGACY_TABLE_FORMAT))
    try:
        return FaceTable.from_record(record)
    except (KeyError, TypeError, ValueError) as error:
        raise UserError(f"{path} is damaged ({error}); run main.py on your footage again, or use --fresh.") from None
