"""The Pillow pipeline: accepted types, refusals with clear codes, orientation, metadata, size."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from stoflow.errors import InvalidImage
from stoflow.services import image_processing as ip
from tests.support.images import GPS_IFD, jpeg, png, png_claiming


def code_of(data: bytes, **kwargs) -> str:
    with pytest.raises(InvalidImage) as caught:
        ip.process(data, **kwargs)
    assert caught.value.status == 422
    return caught.value.code


def test_a_jpeg_is_stored_as_an_optimised_jpeg_with_its_size() -> None:
    result = ip.process(jpeg(400, 200))
    assert (result.mime_type, result.width, result.height) == ("image/jpeg", 400, 200)
    assert Image.open(io.BytesIO(result.data)).format == "JPEG"
    assert result.size == len(result.data)


def test_exif_orientation_is_applied_then_every_metadata_is_gone() -> None:
    result = ip.process(jpeg(400, 200, orientation=6, gps=True))  # 6: rotate 90 degrees clockwise
    assert (result.width, result.height) == (200, 400)
    stored = Image.open(io.BytesIO(result.data))
    exif = stored.getexif()
    assert len(exif) == 0 and not exif.get_ifd(GPS_IFD)
    assert b"PhoneMaker" not in result.data and b"shot at home" not in result.data
    assert "exif" not in stored.info and "icc_profile" not in stored.info
    # after rotating clockwise, the blue left half is on top
    assert stored.getpixel((100, 50))[2] > 150 and stored.getpixel((100, 350))[0] > 150


def test_the_longer_side_is_brought_down_to_the_limit() -> None:
    result = ip.process(png(5000, 1000), max_side=2000)
    assert (result.width, result.height) == (2000, 400)


def test_transparency_is_kept_as_webp() -> None:
    assert ip.process(png(50, 50, "RGBA")).mime_type == "image/webp"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "image_empty"),
        (b"GIF89a" + b"\0" * 100, "image_type_unsupported"),
        (b"%PDF-1.7 not an image", "image_type_unsupported"),
        (b"\xff\xd8\xff" + b"\0" * 50, "image_unreadable"),
    ],
)
def test_non_images_are_refused_with_a_clear_code(data: bytes, code: str) -> None:
    assert code_of(data) == code


def test_a_truncated_image_is_refused() -> None:
    whole = jpeg(800, 600)
    assert code_of(whole[: len(whole) // 2]) == "image_truncated"


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    assert code_of(png_claiming(30_000, 30_000)) == "image_bomb"
    assert code_of(png(300, 300), max_pixels=10_000) == "image_bomb"


def test_the_type_comes_from_the_bytes_not_the_name() -> None:
    assert ip.sniff(jpeg()) == "image/jpeg"
    assert ip.sniff(png(2, 2)) == "image/png"
    assert ip.sniff(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    assert ip.sniff(b"\0\0\0\x18ftypheic\0\0\0\0") == "image/heic"
    assert ip.sniff(b"<svg xmlns=...>") is None


def test_heic_from_phones_is_accepted() -> None:
    import pillow_heif  # a declared dependency: missing, this test fails rather than skips

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 10)).save(out, "HEIF")
    result = ip.process(out.getvalue())
    assert (result.mime_type, result.width, result.height) == ("image/jpeg", 64, 48)
