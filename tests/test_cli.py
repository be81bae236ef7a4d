"""The command line explains itself."""

import re

from conftest import run_main


def test_help_explains_every_option_with_its_default(tmp_path):
    result = run_main(["--help"], cwd=tmp_path)
    assert result.returncode == 0
    options = set(re.findall(r"^\s+(--[a-z-]+)", result.stdout, re.M)) - {"--help"}
    assert options >= {"--workdir", "--every", "--max-width", "--max-height", "--workers", "--detector",
                       "--upsample", "--eps", "--min-samples", "--jobs", "--fresh", "--force"}
    assert options >= {"--encoder", "--models", "--algorithm"}
    for default in ("(default: 1.0)", "(default: 700)", "(default: 500)", "(default: yunet)", "(default: sface)",
                    "(default: the detector's own, yunet 0, hog 1, cnn 1)",
                    "(default: the encoder's own, sface 1.02, dlib 0.45)", "(default: chinese-whispers)",
                    "(default: 2)", "(default: -1)", "Footage.mp4"):
        assert default in re.sub(r"-\s+", "-", " ".join(result.stdout.split())), default  # argparse wraps at hyphens
