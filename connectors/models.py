"""State of the emulated help desks (the sandbox and the tests' platforms).

It lives in the database so that the web process serving the emulators and the workers
that seed or inspect them see the same accounts.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class EmulatedAccount(models.Model):
    """One account on an emulated platform, e.g. the sandbox's "Acme on Zendesk"."""

    platform = models.CharField(max_length=40)
    slug = models.SlugField(max_length=100, help_text="The account's part of the sandbox URL.")
    name = models.CharField(max_length=200)
    # The emulated platform's own secrets (API tokens, passwords): sandbox values, not users'.
    secrets = models.JSONField(default=dict, blank=True)
    # None: the platform's documented default; 0: no limit.
    rate_limit_per_minute = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    fault_server_error_ratio = models.FloatField(default=0.0)
    fault_timeout_ratio = models.FloatField(default=0.0)
    fault_malformed_ratio = models.FloatField(default=0.0)
    # Platform-specific switches (plan features, page limits, …).
    options = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "slug"], name="emulated_account_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.platform}/{self.slug})"


class EmulatedRecord(models.Model):
    """One platform object, kept as the platform's own JSON."""

    account = models.ForeignKey(EmulatedAccount, on_delete=models.CASCADE, related_name="records")
    collection = models.CharField(max_length=60)
    number = models.BigIntegerField()
    parent_number = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "collection", "number"], name="emulated_record_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["account", "collection", "updated_at", "number"],
                name="emulated_record_updated",
            ),
            models.Index(
                fields=["account", "collection", "parent_number", "number"],
                name="emulated_record_parent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collection} #{self.number}"


class EmulatedSequence(models.Model):
    """The last id handed out per account and collection, as the platform would."""

    account = models.ForeignKey(EmulatedAccount, on_delete=models.CASCADE)
    collection = models.CharField(max_length=60)
    last_number = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "collection"], name="emulated_sequence_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.collection} up to {self.last_number}"


class EmulatedBlob(models.Model):
    """An attachment's bytes: generated from a seed (seeded data) or stored (uploads)."""

    account = models.ForeignKey(EmulatedAccount, on_delete=models.CASCADE, related_name="blobs")
    token = models.CharField(max_length=80, unique=True)
    file_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120, default="application/octet-stream")
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, blank=True)
    seed = models.CharField(max_length=80, blank=True)
    stored_path = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.file_name} ({self.size} bytes)"
