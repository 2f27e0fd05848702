"""Int8 inference: close to the float model, any input size, calibration stored beside the checkpoint, clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from blurlib import checkpoint, profiles
from blurlib.cli import main
from blurlib.errors import BlurlibError
from blurlib.models import build
from blurlib.predict import predict_map
from blurlib.quantize import calibrate, calibration_path, int8_model, load_int8, write_calibration
from blurlib.train import train
from blurlib.weights import init_model


@pytest.fixture(scope="module")
def float_model():
    model = build("III")
    init_model(model, "hed")  # real filters: activations with the ranges of a trained trunk
    return model.eval()


def _photos(n, size=96, seed=0):
    from blurlib.data.synthetic import make_sample
    return [make_sample(i, size, seed=seed)[1] for i in range(n)]


def test_int8_maps_follow_the_float_model(float_model):
    q = int8_model(float_model, calibrate(float_model, _photos(4), size=96))
    for image in _photos(3, seed=1):
        a = predict_map(float_model, image, size=96, precision="fp32", device="cpu")  # int8 is CPU only
        b = predict_map(q, image, size=96)
        assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.98
        assert np.abs(a - b).mean() < 0.02


def test_int8_output_has_the_input_size_and_runs_without_autocast(float_model):
    q = int8_model(float_model, calibrate(float_model, _photos(1), size=64))
    x = torch.zeros(1, 3, 37, 53)
    with torch.inference_mode():
        assert q(x).shape == (1, 1, 37, 53) and q(x).dtype == torch.float32
    assert predict_map(q, np.zeros((31, 45, 3), np.uint8), size=None).shape == (31, 45)


def test_unet_runs_its_trunk_in_int8_and_its_decoder_in_float():
    torch.manual_seed(0)
    net = build("unet")
    init_model(net, "hed")
    torch.nn.init.normal_(net.correction.weight, std=0.05)  # a decoder that changes the map
    net.eval()
    calib = calibrate(net, _photos(2, size=64), size=64)
    from blurlib.models import conv_names
    assert len(calib["activations"]) == 1 + len(conv_names())  # the input and the 13 trunk convs, no decoder layer
    assert all(k == "quant" or k.startswith("trunk.") for k in calib["activations"])
    assert calib["model"] == "UNetRefiner"
    v = build("V").eval()
    with pytest.raises(BlurlibError, match="made for a UNetRefiner, not a BlurMapper"):
        int8_model(v, calib)  # the same trunk keys: only the recorded class tells them apart
    q = int8_model(net, calib)
    for image in _photos(2, size=64, seed=1):
        a = predict_map(net, image, size=64, precision="fp32", device="cpu")
        b = predict_map(q, image, size=64)
        assert b.shape == a.shape and np.abs(a - b).mean() < 0.03


def test_errors_name_the_fix(float_model, tmp_path):
    with pytest.raises(BlurlibError, match="configs I–V and unet only"):
        int8_model(build("fusion"), {"activations": {}})
    with pytest.raises(BlurlibError, match="blurlib.quantize.load_int8"):
        predict_map(float_model, np.zeros((8, 8, 3), np.uint8), size=8, precision="int8")
    calib = calibrate(float_model, _photos(1), size=32)
    with pytest.raises(BlurlibError, match="does not fit this model"):
        int8_model(build("V").eval(), calib)  # scales of III: conv4_1 … conv5_3 missing
    ckpt = tmp_path / "model.pt"
    with pytest.raises(BlurlibError, match="blurlib quantize --checkpoint"):
        load_int8(float_model, ckpt)
    calibration_path(ckpt).write_text("{not json")
    with pytest.raises(BlurlibError, match="not an int8 calibration file"):
        load_int8(float_model, ckpt)
    calibration_path(ckpt).write_text(json.dumps(calib))
    assert load_int8(float_model, ckpt).is_int8


def test_cli_quantize_then_predict_int8(synthetic, synthetic_root, tmp_path, capsys):
    run = train(synthetic, tmp_path / "run", model_name="I",
                profile=profiles.get("smoke").replace(size=32, iterations=1), progress=False)
    ckpt = run / "model.pt"
    image = sorted((synthetic_root / "image").glob("*.png"))[0]
    predict = ["predict", str(image), "--checkpoint", str(ckpt), "-o", str(tmp_path / "maps"), "--size", "32",
               "--precision", "int8"]
    assert main(predict) == 2
    assert "blurlib quantize --checkpoint" in capsys.readouterr().err
    assert main(["quantize", "--checkpoint", str(ckpt), "--root", str(synthetic_root), "--source", "synthetic",
                 "--images", "3", "--size", "32"]) == 0
    calib = json.loads(calibration_path(ckpt).read_text())
    assert calib["images"] == 3 and len(calib["names"]) == 3 and calib["provenance"]["command"].startswith("blurlib")
    assert set(calib["activations"]) == {"quant", "trunk.0.conv1_1", "trunk.0.conv1_2"}
    assert main(predict) == 0
    out = Image.open(tmp_path / "maps" / f"{image.stem}.png")
    assert out.mode == "L" and out.size == Image.open(image).size
    float_map = predict_map(checkpoint.load_model(ckpt)[0], np.asarray(Image.open(image).convert("RGB")), size=32)
    assert np.corrcoef(np.asarray(out, np.float32).ravel(), float_map.ravel())[0, 1] > 0.9
    from blurlib.bench import precision_accuracy

    a = precision_accuracy(ckpt, synthetic.select("test")[:3], size=32)
    first = a["precisions"][0]
    assert a["precisions"] == [first, "int8"] and a["test_images"] == 3
    assert a["ods_change"]["int8"] == pytest.approx(a["int8"]["ods"] - a[first]["ods"], abs=1e-4)
    other = train(synthetic, tmp_path / "other", model_name="I", seed=1,
                  profile=profiles.get("smoke").replace(size=32, iterations=1), progress=False)
    ckpt.write_bytes((other / "model.pt").read_bytes())  # other weights under the same name: the scales are not theirs
    assert main([*predict, "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert "was made for another model.pt (its SHA-256 differs" in err and "--overwrite" in err


def test_one_loader_gives_a_checkpoints_model_ready_for_each_precision(float_model, synthetic, tmp_path):
    ckpt = tmp_path / "model.pt"
    checkpoint.save(ckpt, float_model, "III", "caffe")
    with pytest.raises(BlurlibError, match="blurlib quantize --checkpoint"):
        checkpoint.load_model(ckpt, precision="int8")  # not calibrated yet
    pairs = synthetic.select("train")
    path = write_calibration(float_model, ckpt, pairs, images=2, seed=1, size=32, data="d", split="train")
    calib = json.loads(path.read_text())
    assert path == calibration_path(ckpt) and (calib["split"], calib["seed"], calib["images"]) == ("train", 1, 2)
    assert calib["names"] == sorted(calib["names"]) and set(calib["names"]) <= {p.name for p in pairs}
    int8 = checkpoint.load_model(ckpt, precision="int8")[0]
    assert int8.is_int8
    with pytest.raises(BlurlibError, match="precision bf16 needs the float model"):
        predict_map(int8, np.zeros((8, 8, 3), np.uint8), size=32, precision="bf16")
    for precision in ("auto", "bf16", "fp32"):
        model, meta = checkpoint.load_model(ckpt, precision=precision)
        assert not getattr(model, "is_int8", False) and meta["model"] == "III"
    with pytest.raises(BlurlibError, match="unknown precision 'int4'"):
        checkpoint.load_model(ckpt, precision="int4")


def test_int8_is_selected_on_cpu_only():
    from blurlib import runtime

    assert runtime.select(None, "int8") == (torch.device("cpu"), "int8") == runtime.select("cpu", "int8")
    with pytest.raises(BlurlibError, match="int8 models run on CPU only, not cuda: use --precision bf16"):
        runtime.select("cuda", "int8")
