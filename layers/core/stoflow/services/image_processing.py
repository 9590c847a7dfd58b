"""The image pipeline: bytes from an upload in, an optimised image safe to publish out.

Order matters:
1. the magic bytes decide the type (never the file name or the declared Content-Type);
2. the header alone gives the size, and too many pixels is refused before anything is decoded
   (a 40 kB PNG can claim 50,000 x 50,000 pixels and take 7 GB to decode);
3. decoding must consume the whole file: a truncated image is refused, not half-stored;
4. EXIF orientation is applied, then the pixels are copied into a fresh image, so no EXIF (GPS!),
   XMP, IPTC, ICC or comment survives;
5. at most `max_side` px on the longer side; JPEG (or WebP when there is transparency) out.
"""

from __future__ import annotations

import importlib.util
import io
import warnings
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from stoflow.errors import InvalidImage

# Accepted inputs: what phones and cameras produce. GIF/TIFF/BMP are refused on purpose.
JPEG, PNG, WEBP, HEIC, HEIF = "image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"
_PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP", HEIC: "HEIF"}
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1")


@lru_cache(maxsize=1)
def _heif_available() -> bool:
    # find_spec, not import: pillow-heif costs ~30 ms to import, paid only when a HEIC is decoded.
    return importlib.util.find_spec("pillow_heif") is not None


@lru_cache(maxsize=1)
def _register_heif() -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()


def accepted_types() -> tuple[str, ...]:
    """Content types an upload may declare (phones say image/heic or image/heif for one format)."""
    return (JPEG, PNG, WEBP, HEIC, HEIF) if _heif_available() else (JPEG, PNG, WEBP)


def sniff(data: bytes) -> str | None:
    """The image type announced by the first bytes, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return HEIC
    return None


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    mime_type: str
    width: int
    height: int

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def extension(self) -> str:
        return "webp" if self.mime_type == WEBP else "jpg"


def process(
    data: bytes,
    *,
    max_side: int = 2000,
    max_pixels: int = 50_000_000,
    jpeg_quality: int = 85,
) -> ProcessedImage:
    if not data:
        raise InvalidImage("the upload is empty", code="image_empty")
    kind = sniff(data)
    if kind is None or kind not in accepted_types():
        raise InvalidImage(
            f"not a supported image (accepted: {', '.join(accepted_types())})", code="image_type_unsupported"
        )
    if kind == HEIC:
        _register_heif()
    image = _open(data, kind, max_pixels)
    try:
        image = _decode(image, max_side)
        oriented = ImageOps.exif_transpose(image)
        clean = _without_metadata(oriented)
        if max(clean.size) > max_side:
            clean.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        return _encode(clean, jpeg_quality)
    finally:
        image.close()


def _open(data: bytes, kind: str, max_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow warns (not raises) between MAX_IMAGE_PIXELS and twice that: make it an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[kind]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidImage("the image has too many pixels", code="image_bomb") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidImage("the file is not a readable image", code="image_unreadable") from exc
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        image.close()
        raise InvalidImage(
            f"the image has too many pixels ({width} x {height}; at most {max_pixels:,})", code="image_bomb"
        )
    return image


def _decode(image: Image.Image, max_side: int) -> Image.Image:
    if image.format == "JPEG":
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the result is still >= max_side:
        # a 48 MP photo then costs a fraction of the memory and time.
        image.draft("RGB", (max_side, max_side))
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # a process-wide switch; someone turned it on
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False: truncated uploads would pass")
    try:
        image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidImage("the image is truncated or corrupt", code="image_truncated") from exc
    return image


def _without_metadata(image: Image.Image) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if has_alpha else "RGB"
    converted = image.convert(mode)
    # A new image holds pixels only: no info dict, no EXIF, no ICC profile carried over.
    clean = Image.new(mode, converted.size)
    clean.paste(converted)
    return clean


def _encode(image: Image.Image, jpeg_quality: int) -> ProcessedImage:
    out = io.BytesIO()
    if image.mode == "RGBA":
        image.save(out, "WEBP", quality=jpeg_quality, method=4)
        mime = WEBP
    else:
        image.save(out, "JPEG", quality=jpeg_quality, optimize=True, progressive=True)
        mime = JPEG
    return ProcessedImage(out.getvalue(), mime, image.width, image.height)
