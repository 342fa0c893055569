"""Uploaded images: the clean JPEG the media pipeline stored, and who uploaded it."""

from django.conf import settings
from django.db import models


class MediaImage(models.Model):
    """One stored, re-encoded JPEG. `storage_name` is random (≥128 bits) and is the whole of
    its public URL's secret; the uploader's file name is kept for people only."""

    storage_name = models.CharField(max_length=255, unique=True)
    content_type = models.CharField(max_length=64, default="image/jpeg")
    bytes = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    original_name = models.CharField(max_length=255, blank=True)
    source_format = models.CharField(max_length=16, blank=True, help_text="JPEG or PNG.")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "uploaded image"
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"Image #{self.pk} ({self.width}x{self.height})"
