from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from migrator.models import Connection, Migration, Run, RunBatch, RunEntity, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name",)}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Migration)
class MigrationAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "owner__email"]
    raw_id_fields = ["owner"]


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["account_name", "platform", "owner", "verified_at"]
    list_filter = ["platform"]
    search_fields = ["account_name", "account_url", "owner__email"]
    raw_id_fields = ["owner"]
    # The encrypted credentials are never shown, not even encrypted.
    exclude = ["encrypted_credentials"]
    readonly_fields = ["platform", "account_name", "account_url", "user_email", "verified_at"]


class RunEntityInline(admin.TabularInline):
    model = RunEntity
    extra = 0
    fields = ["entity", "status", "available", "filtered_out", "read_complete", "cursor"]
    readonly_fields = fields
    can_delete = False


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["pk", "migration", "kind", "status", "started_at", "finished_at"]
    list_filter = ["kind", "status"]
    search_fields = ["migration__name", "pause_reason"]
    raw_id_fields = ["migration", "created_by"]
    readonly_fields = ["plan"]
    inlines = [RunEntityInline]


@admin.register(RunBatch)
class RunBatchAdmin(admin.ModelAdmin):
    list_display = ["pk", "run", "entity", "sequence", "status", "attempts", "heartbeat_at"]
    list_filter = ["status", "entity"]
    raw_id_fields = ["run"]
