"""The one photo chooser of every marketplace converter: labels never come out."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from stoflow.services.photos import PHOTO_LIMITS, choose_photos


@dataclass
class Img:
    id: int
    position: int | None
    is_label: bool = False
    status: str = "ready"


def test_labels_and_pending_uploads_are_left_out_and_order_kept() -> None:
    images = [Img(1, 2), Img(2, 0), Img(3, 1, is_label=True), Img(4, None, status="pending"), Img(5, 3)]
    assert [i.id for i in choose_photos(images)] == [2, 1, 5]


@pytest.mark.parametrize("marketplace", sorted(PHOTO_LIMITS))
def test_never_a_label_whatever_the_list(marketplace: str) -> None:
    rng = random.Random(marketplace)
    for _ in range(500):
        images = [Img(i, rng.randrange(30), is_label=rng.random() < 0.2) for i in range(rng.randrange(0, 30))]
        chosen = choose_photos(images, marketplace)
        assert not any(image.is_label for image in chosen)
        assert len(chosen) <= PHOTO_LIMITS[marketplace]


def test_an_unknown_marketplace_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown marketplace"):
        choose_photos([], "leboncoin")
