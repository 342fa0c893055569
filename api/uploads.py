"""Multipart image uploads that stream to a temporary file and stop at the byte cap.

Django's memory thresholds decide where an upload is kept, not how large it may be; this
handler refuses a body that declares more than the cap (plus the multipart envelope) before
reading it, and one that grows past it while streaming, deleting what it wrote.
"""

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, MultiPartParser

from integrations.errors import ImageTooLarge

ENVELOPE_BYTES = 64 * 1024  # boundaries, part headers, a small form field or two


def too_large(max_bytes: int) -> ImageTooLarge:
    return ImageTooLarge(f"The image is over {max_bytes // (1024 * 1024)} MB.")


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Every file goes to disk (never held whole in memory), up to `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__()
        self.max_bytes = max_bytes

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > self.max_bytes + ENVELOPE_BYTES:
            raise too_large(self.max_bytes)
        return super().handle_raw_input(input_data, META, content_length, boundary, encoding)

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.max_bytes:
            self.file.close()  # a temporary file: closing deletes it
            raise too_large(self.max_bytes)
        return super().receive_data_chunk(raw_data, start)


class ImageUploadParser(MultiPartParser):
    """DRF's multipart parser with the capped handler in place of the configured ones."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        handlers = [CappedUploadHandler(settings.MEDIA_MAX_BYTES)]
        try:
            data, files = DjangoMultiPartParser(meta, stream, handlers, "utf-8").parse()
        except MultiPartParserError as exc:
            raise ParseError("The multipart body could not be read.") from exc
        return DataAndFiles(data, files)
