"""Prediction as users run it: folders streamed with bounded memory, any image mode, huge and tiny images."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import blurlib.predict as predict
from blurlib import profiles
from blurlib.cli import main
from blurlib.errors import BlurlibError
from blurlib.models import build
from blurlib.train import train


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, synthetic):
    run = train(synthetic, tmp_path_factory.mktemp("run"), model_name="I",
                profile=profiles.get("smoke").replace(size=32, iterations=2), progress=False)
    return run / "model.pt"


def test_folder_is_streamed_with_conversions_stated(tiny_model, tmp_path, capsys):
    src = tmp_path / "photos"
    src.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (20, 30, 3), np.uint8)).save(src / "plain.png")
    Image.fromarray(rng.integers(0, 255, (20, 30, 3), np.uint8)).convert("CMYK").save(src / "print.jpg")
    Image.new("RGB", (1, 1)).save(src / "dot.png")
    (src / "notes.txt").write_text("not an image, not picked up from a folder")
    assert main(["predict", str(src), "--checkpoint", str(tiny_model), "-o", str(tmp_path / "maps"),
                 "--size", "32"]) == 0
    out, err = capsys.readouterr()
    assert "3 maps in" in out and "images/s" in out
    assert "print.jpg: CMYK converted to RGB" in err
    assert Image.open(tmp_path / "maps" / "dot.png").size == (1, 1)
    assert Image.open(tmp_path / "maps" / "print.png").size == (30, 20)


def test_exif_rotated_photo_gets_a_map_aligned_with_what_the_user_sees(tiny_model, tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 8
    Image.new("RGB", (40, 10)).save(tmp_path / "turned.png", exif=exif)
    assert main(["predict", str(tmp_path / "turned.png"), "--checkpoint", str(tiny_model), "-o",
                 str(tmp_path / "maps"), "--size", "32"]) == 0
    assert Image.open(tmp_path / "maps" / "turned.png").size == (10, 40)


def test_huge_image_is_refused_on_the_command_line(tiny_model, huge_png, tmp_path, capsys):
    assert main(["predict", str(huge_png), "--checkpoint", str(tiny_model), "-o",
                 str(tmp_path / "maps")]) == 2
    err = capsys.readouterr().err
    assert "huge.png: 20000x20000 image (400 Mpx) would need about 6.0 GiB" in err and "Traceback" not in err


def test_full_resolution_beyond_free_memory_is_refused(monkeypatch):
    monkeypatch.setattr(predict.runtime, "free_memory", lambda dev: 10 * 2**30)
    with pytest.raises(BlurlibError, match=r"a 8000x6000 image at its own size needs about 17.9 GiB on cpu.*--size 384"):
        predict.predict_map(build("I"), np.zeros((6000, 8000, 3), np.uint8), size=None, device="cpu")


def test_duplicate_stems_and_empty_inputs_are_refused(tiny_model, tmp_path):
    model = build("I").eval()
    for name in ("a.png", "a.jpg"):
        Image.new("RGB", (4, 4)).save(tmp_path / name)
    with pytest.raises(BlurlibError, match="a.png: the map of .* and the map of .* would both be written there"):
        predict.predict_folder(model, [tmp_path], tmp_path / "o", progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(BlurlibError, match="no image files in"):
        predict.predict_folder(model, [tmp_path / "empty"], tmp_path / "o", progress=False)
    with pytest.raises(BlurlibError, match="nowhere: no such file or folder"):
        predict.predict_folder(model, [tmp_path / "nowhere"], tmp_path / "o", progress=False)


def test_at_most_two_images_are_in_memory(tmp_path, monkeypatch):
    """The stream reads one image ahead, never more, however long the list."""
    reads, yielded = [], 0
    real = predict.read_rgb_noted

    def counting(path, max_pixels):
        reads.append(path)
        return real(path, max_pixels)
    monkeypatch.setattr(predict, "read_rgb_noted", counting)
    paths = []
    for i in range(6):
        paths.append(tmp_path / f"{i}.png")
        Image.new("RGB", (8, 8)).save(paths[-1])
    for _ in predict.predict_files(build("I").eval(), paths, tmp_path / "o", size=32):
        yielded += 1
        assert len(reads) <= yielded + 1
    assert yielded == 6 and reads == paths


def test_test_time_augmentation_averages_the_mirror_and_leaves_one_pass_unchanged():
    import torch

    from blurlib.models import build
    from blurlib.predict import predict_map
    torch.manual_seed(0)
    model = build("II").eval()
    image = np.random.default_rng(0).integers(0, 256, (40, 56, 3), dtype=np.uint8)
    plain = predict_map(model, image, size=48, precision="fp32")
    assert np.array_equal(plain, predict_map(model, image, size=48, precision="fp32", tta="none"))
    flip = predict_map(model, image, size=48, precision="fp32", tta="flip")
    mirror = image[:, ::-1].copy()
    logit = (predict_map(model, image, size=48, precision="fp32", logits=True)
             + predict_map(model, mirror, size=48, precision="fp32", logits=True)[:, ::-1]) / 2
    assert np.allclose(flip, 1 / (1 + np.exp(-logit)), atol=1e-5)
    # the mirror's flip-averaged map is the flip-averaged map mirrored: the augmentation has no left or right
    assert np.allclose(predict_map(model, mirror, size=48, precision="fp32", tta="flip"), flip[:, ::-1], atol=1e-5)
    scales = predict_map(model, image, size=48, precision="fp32", tta="flip-scales")
    assert scales.shape == image.shape[:2] and not np.allclose(scales, flip, atol=1e-4)


def test_test_time_augmentation_names_what_it_cannot_do():
    from blurlib.errors import BlurlibError
    from blurlib.predict import tta_views
    with pytest.raises(BlurlibError, match="--tta flip-scales resizes the input to several sizes"):
        tta_views(None, "flip-scales", (40, 50))
    with pytest.raises(BlurlibError, match="--tta mirror: use one of none, flip, flip-scales"):
        tta_views(384, "mirror", (40, 50))
    assert tta_views(None, "flip", (40, 50)) == [(None, False), (None, True)]
