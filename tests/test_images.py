import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from mnist_lab.images import MAX_PIXELS, ImageError, decode_image, grey_if_grey


def _save(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims a huge size, with a tiny IDAT: a decompression-bomb stand-in."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 100)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def _one_line(e: pytest.ExceptionInfo) -> str:
    msg = str(e.value)
    assert msg and "\n" not in msg
    return msg


@pytest.mark.parametrize("size", [(20000, 20000), (9000, 10), (7000, 7000)])
def test_huge_dimensions_refused_before_decoding(size, tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(*size))
    assert path.stat().st_size < 1000
    with pytest.raises(ImageError) as e:
        decode_image(path.read_bytes())
    assert "too large" in _one_line(e)


def test_pil_global_limit_untouched():
    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageError):
        decode_image(_png_header_only(20000, 20000))
    assert before == Image.MAX_IMAGE_PIXELS
    assert MAX_PIXELS == 40_000_000


def test_empty_bytes():
    with pytest.raises(ImageError) as e:
        decode_image(b"")
    assert "empty" in _one_line(e)


def test_text_file_named_png(tmp_path):
    path = tmp_path / "x.png"
    path.write_text("hello, I am not a picture\n")
    with pytest.raises(ImageError) as e:
        decode_image(path.read_bytes())
    assert "not an image" in _one_line(e)


def test_truncated_png():
    rng = np.random.default_rng(0)
    data = _save(Image.fromarray(rng.integers(0, 255, (64, 64), dtype=np.uint8)), "PNG")
    with pytest.raises(ImageError) as e:
        decode_image(data[: len(data) // 2])
    _one_line(e)


def test_sixteen_bit_png_scaled_to_eight_bits():
    arr = np.array([[0, 257 * 128, 65535]], dtype=np.uint16)
    data = _save(Image.fromarray(arr), "PNG")
    out = decode_image(data)
    assert out.dtype == np.uint8
    assert out.tolist() == [[0, 128, 255]]


def test_rgba_composited_on_white():
    arr = np.zeros((4, 4, 4), dtype=np.uint8)
    arr[0, 0] = (0, 0, 0, 255)  # opaque black
    arr[1, 1] = (0, 0, 0, 0)  # transparent (black underneath) must become white
    arr[2, 2] = (0, 0, 0, 128)  # half-transparent black -> mid grey
    out = decode_image(_save(Image.fromarray(arr, "RGBA"), "PNG"))
    assert out[0, 0] == 0 and out[1, 1] == 255
    assert 120 <= out[2, 2] <= 135


def test_cmyk_jpeg():
    im = Image.new("CMYK", (16, 16), (0, 0, 0, 255))  # full black ink
    out = decode_image(_save(im, "JPEG"), mode="RGB")
    assert out.shape == (16, 16, 3)
    assert out.mean() < 40
    white = decode_image(_save(Image.new("CMYK", (16, 16), (0, 0, 0, 0)), "JPEG"))
    assert white.mean() > 215


def test_palette_with_transparency():
    im = Image.new("P", (8, 8), 0)
    im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    im.putpixel((3, 3), 1)
    out = decode_image(_save(im, "PNG", transparency=0), mode="RGB")
    assert tuple(out[0, 0]) == (255, 255, 255)
    assert tuple(out[3, 3]) == (255, 0, 0)


def test_animated_gif_first_frame():
    frames = [Image.new("L", (10, 10), v) for v in (0, 255, 128)]
    data = _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    out = decode_image(data)
    assert out.shape == (10, 10) and out.max() == 0


def test_grayscale_and_one_bit_and_rgb_modes():
    gray = np.arange(256, dtype=np.uint8).reshape(16, 16)
    assert np.array_equal(decode_image(_save(Image.fromarray(gray), "PNG")), gray)
    rgb = decode_image(_save(Image.fromarray(gray), "PNG"), mode="RGB")
    assert rgb.shape == (16, 16, 3) and np.array_equal(rgb[..., 1], gray)
    bits = decode_image(_save(Image.new("1", (5, 5), 1), "PNG"))
    assert bits.min() == 255
    with pytest.raises(ValueError):
        decode_image(b"x", mode="CMYK")


def test_exif_rotation_applied():
    im = Image.new("L", (30, 10), 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees when shown
    out = decode_image(_save(im, "JPEG", exif=exif))
    assert out.shape == (30, 10)


def test_gray_uses_the_same_weights_as_pil_and_cv2():
    from mnist_lab.images import fit, to_gray

    rng = np.random.default_rng(4)
    rgb = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    pil = np.asarray(Image.fromarray(rgb).convert("L"), dtype=np.float32)
    assert np.abs(to_gray(rgb) - pil).max() <= 1.0  # PIL rounds to whole levels
    rgba = np.dstack([rgb, np.zeros((20, 30), np.uint8)])
    np.testing.assert_array_equal(to_gray(rgba), to_gray(rgb))  # alpha is not colour
    assert to_gray(rgb[..., 0]).dtype == np.float32
    with pytest.raises(ValueError):
        to_gray(np.zeros((2, 2, 5), np.uint8))
    assert fit(np.zeros((1000, 500, 3), np.uint8), 192).shape == (192, 96, 3)
    small = np.zeros((50, 40), np.uint8)
    assert fit(small) is small


def test_a_grey_picture_saved_as_rgb_is_grey_again():
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert np.array_equal(grey_if_grey(np.stack([grey] * 3, axis=2)), grey)
    colour = np.stack([grey, grey, grey + 1], axis=2)
    assert grey_if_grey(colour) is colour and grey_if_grey(grey) is grey
