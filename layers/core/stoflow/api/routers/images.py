"""/products/{id}/images: presigned uploads, complete, order, label flag, delete. Thin: services decide."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response, status

from stoflow.api.deps import CurrentPrincipal, TenantDb
from stoflow.api.edge import id_of
from stoflow.api.pagination import Page
from stoflow.api.problems import from_error
from stoflow.api.routing import api_router
from stoflow.api.schemas.images import ImageOrderIn, ImageOut, ImagePatch, PresignedPostOut, UploadIn, UploadOut
from stoflow.config import get_settings
from stoflow.errors import StoflowError
from stoflow.models.images import ProductImage
from stoflow.models.products import Product
from stoflow.services.images import ProductImageService

router = api_router(prefix="/products/{product_id}/images", tags=["images"])

ProductId = Annotated[id_of(Product.id), Path()]
ImageId = Annotated[id_of(ProductImage.id), Path()]
_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": "Problem (RFC 9457) with a stable `code`"}
    for code in (401, 403, 404, 409, 413, 422)
}


def image_out(service: ProductImageService, image: ProductImage) -> ImageOut:
    return ImageOut(
        id=image.id,
        product_id=image.product_id,
        url=service.url(image),
        order=image.position or 0,
        is_label=image.is_label,
        alt_text=image.alt_text,
        tags=list(image.tags or []),
        mime_type=image.mime_type,
        file_size=image.file_size,
        width=image.width,
        height=image.height,
        created_at=image.created_at,
        updated_at=image.updated_at,
    )


def _page(service: ProductImageService, images: list[ProductImage]) -> Page[ImageOut]:
    limit = get_settings().images_per_product_max
    return Page[ImageOut](items=[image_out(service, i) for i in images], total=len(images), limit=limit, offset=0)


@router.get("", response_model=Page[ImageOut], responses=_PROBLEMS)
async def list_images(product_id: ProductId, db: TenantDb, principal: CurrentPrincipal) -> Page[ImageOut]:
    service = ProductImageService(db, principal.tenant_id)
    return _page(service, service.list_images(product_id))


@router.post("/uploads", status_code=status.HTTP_201_CREATED, response_model=UploadOut, responses=_PROBLEMS)
async def request_upload(product_id: ProductId, body: UploadIn, db: TenantDb, principal: CurrentPrincipal) -> UploadOut:
    """A presigned POST: send the file to `upload.url` with `upload.fields` (multipart, file last),
    then call `complete`. S3 refuses another Content-Type or more than `max_bytes`."""
    ticket = ProductImageService(db, principal.tenant_id).request_upload(product_id, body.content_type, body.size)
    return UploadOut(
        image_id=ticket.image.id,
        upload=PresignedPostOut(url=ticket.upload.url, fields=ticket.upload.fields),
        expires_in=ticket.upload.expires_in,
        max_bytes=get_settings().image_max_upload_bytes,
    )


@router.post("/{image_id}/complete", response_model=ImageOut, responses=_PROBLEMS)
async def complete_upload(
    product_id: ProductId, image_id: ImageId, db: TenantDb, principal: CurrentPrincipal
) -> ImageOut | Response:
    service = ProductImageService(db, principal.tenant_id)
    try:
        image = service.complete(product_id, image_id)
    except StoflowError as exc:
        if not getattr(exc, "upload_discarded", False):
            raise
        # Answered, not raised: the transaction then commits the removal of the refused upload,
        # so nothing of it is left (its object was deleted by the service).
        return from_error(exc)
    return image_out(service, image)


@router.put("/order", response_model=Page[ImageOut], responses=_PROBLEMS)
async def reorder(
    product_id: ProductId, body: ImageOrderIn, db: TenantDb, principal: CurrentPrincipal
) -> Page[ImageOut]:
    service = ProductImageService(db, principal.tenant_id)
    return _page(service, service.reorder(product_id, body.image_ids))


@router.patch("/{image_id}", response_model=ImageOut, responses=_PROBLEMS)
async def update_image(
    product_id: ProductId, image_id: ImageId, body: ImagePatch, db: TenantDb, principal: CurrentPrincipal
) -> ImageOut:
    service = ProductImageService(db, principal.tenant_id)
    image = service.update_image(product_id, image_id, body.model_dump(exclude_unset=True))
    return image_out(service, image)


@router.delete("/{image_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_PROBLEMS)
async def delete_image(product_id: ProductId, image_id: ImageId, db: TenantDb, principal: CurrentPrincipal) -> Response:
    ProductImageService(db, principal.tenant_id).delete_image(product_id, image_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
