"""Reading what users have (any image mode, EXIF-rotated, huge) and writing safely (read-only folder, full disk)."""

from __future__ import annotations

import errno
import os
import tempfile

import numpy as np
import pytest
from PIL import Image

from blurlib.errors import BlurlibError
from blurlib.io import image_size, read_rgb, read_rgb_noted, write_json

RGB = np.array([[[200, 10, 10], [10, 200, 10], [10, 10, 200]]] * 2, np.uint8)  # (2, 3, 3)


@pytest.mark.parametrize("mode, save_as, note", [
    ("L", "png", "grey converted to RGB"),
    ("RGBA", "png", "RGBA (alpha dropped) converted to RGB"),
    ("P", "png", "palette converted to RGB"),
    ("CMYK", "jpg", "CMYK converted to RGB"),
    ("RGB", "png", None),
])
def test_image_modes_are_converted_and_stated(tmp_path, mode, save_as, note):
    path = tmp_path / f"a.{save_as}"
    src = Image.fromarray(RGB).convert(mode)
    src.save(path, quality=100) if save_as == "jpg" else src.save(path)
    a, said = read_rgb_noted(path)
    assert a.shape == (2, 3, 3) and a.dtype == np.uint8 and said == note
    expected = np.asarray(src.convert("RGB"))
    assert np.abs(a.astype(int) - expected).max() <= (8 if save_as == "jpg" else 0)


def test_16_bit_grey_is_scaled_to_8_bits(tmp_path):
    path = tmp_path / "deep.png"
    Image.fromarray(np.array([[0, 32896, 65535]], np.uint16)).save(path)
    a, note = read_rgb_noted(path)
    assert a[0, :, 0].tolist() == [0, 128, 255] and (a[..., 0] == a[..., 2]).all()
    assert "scaled 65535 -> 255" in note


def test_float_grey_is_scaled_from_its_unit_range_or_refused(tmp_path):
    """A 32-bit float TIFF in [0, 1] is a picture, not a black image; a range that means nothing is refused."""
    path = tmp_path / "float.tif"
    Image.fromarray(np.array([[0.0, 0.5, 1.0]], np.float32)).save(path)
    a, note = read_rgb_noted(path)
    assert a[0, :, 0].tolist() == [0, 128, 255] and (a[..., 0] == a[..., 2]).all()
    assert "float grey scaled [0, 1] -> 0-255" in note
    Image.fromarray(np.array([[-3.0, 900.0]], np.float32)).save(path)
    with pytest.raises(BlurlibError, match="float.tif: a floating-point image with values outside 0-255"):
        read_rgb_noted(path)


def test_exif_rotated_photo_is_read_as_shown(tmp_path):
    """Orientation 6 = the camera was turned: viewers rotate 90° clockwise, so must we."""
    raw = np.zeros((4, 6, 3), np.uint8)
    raw[0, :, 0] = 255  # red top row as stored
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "turned.png"
    Image.fromarray(raw).save(path, exif=exif)
    a, note = read_rgb_noted(path)
    assert a.shape == (6, 4, 3) and image_size(path) == (6, 4)
    assert (a[:, -1, 0] == 255).all() and (a[:, :-1, 0] == 0).all()  # the stored top row is now the right column
    assert note == "EXIF orientation 6 applied"


def test_huge_image_is_refused_before_decoding_with_the_memory_it_needs(huge_png):
    path = huge_png
    with pytest.raises(BlurlibError) as e:
        read_rgb(path)
    msg = str(e.value)
    assert "huge.png: 20000x20000 image (400 Mpx) would need about 6.0 GiB" in msg and "--max-pixels" in msg
    with pytest.raises(BlurlibError, match="truncated or corrupt"):  # allowed through, then the decode fails
        read_rgb(path, max_pixels=400_000_000)


def test_one_pixel_image(tmp_path):
    path = tmp_path / "dot.png"
    Image.new("RGB", (1, 1), (1, 2, 3)).save(path)
    assert read_rgb(path).tolist() == [[[1, 2, 3]]]


def test_read_only_output_folder_is_a_clear_error(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    if os.access(locked, os.W_OK):  # root ignores permissions: make the OS answer as for any other user
        def denied(*a, **k):
            raise PermissionError(errno.EACCES, "Permission denied")
        monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(BlurlibError, match="cannot write .*locked/r.json: Permission denied. Choose a writable"):
        write_json(locked / "r.json", {"a": 1})
    (tmp_path / "file").write_text("")
    with pytest.raises(BlurlibError, match="cannot write .*file/r.json: .*Choose a writable output folder"):
        write_json(tmp_path / "file" / "r.json", {})


def test_full_disk_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    write_json(path, {"v": 1})
    real_dump = __import__("json").dump

    def dump_then_fill_the_disk(obj, f, **k):
        f.write('{"v": 2, "half')
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr("json.dump", dump_then_fill_the_disk)
    with pytest.raises(BlurlibError, match="No space left on device. The previous r.json is untouched. Free disk"):
        write_json(path, {"v": 2})
    monkeypatch.setattr("json.dump", real_dump)
    assert path.read_text().startswith('{\n  "v": 1') and [p.name for p in tmp_path.iterdir()] == ["r.json"]
