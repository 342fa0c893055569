"""Image uploads for Page posts and automations (staff allowed to manage the Page).

The view hands the streamed upload to integrations.services.media; a refused image is a typed
error (image_invalid, image_too_large, image_too_many_pixels) mapped once by api.errors.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.schema import error_response, error_responses
from api.uploads import ImageUploadParser
from api.views.facebook import StaffView
from integrations.models import MediaImage
from integrations.services import media as media_service


class MediaImageSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(
        help_text="Public, unguessable URL of the stored JPEG (Facebook and Instagram fetch it).")

    class Meta:
        model = MediaImage
        fields = ("id", "content_type", "bytes", "width", "height", "url", "created_at")

    def get_url(self, image) -> str:
        return media_service.image_url(image)


UPLOAD_SCHEMA = {"multipart/form-data": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "A JPEG or PNG of at most 8 MB."}}}}


class MediaView(StaffView):
    throttle_scope = "media_upload"
    audit_event = "media_upload"
    parser_classes = (ImageUploadParser,)

    @extend_schema(
        operation_id="media_upload", tags=["media"], request=UPLOAD_SCHEMA,
        responses={201: OpenApiResponse(MediaImageSerializer, description=(
            "Stored: re-encoded as a JPEG without EXIF (orientation applied).")),
            400: error_response(400, "image_invalid", "The file is not a JPEG or PNG image "
                                "that can be read. (Also image_too_large, "
                                "image_too_many_pixels, validation_error.)"),
            **error_responses(401, 403, 415, 429)},
    )
    def post(self, request):
        """Upload an image (multipart field `file`): checked by decoding it, not by its name."""
        upload = request.FILES.get("file")
        if upload is None or len(request.FILES) != 1:
            raise ValidationError({"file": ["Send one image as the multipart field `file`."]})
        image = media_service.store_image(upload=upload, uploaded_by=request.user)
        return Response(MediaImageSerializer(image).data, status=status.HTTP_201_CREATED)
