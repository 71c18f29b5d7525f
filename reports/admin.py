from django.contrib import admin

from reports.models import RunRecord


@admin.register(RunRecord)
class RunRecordAdmin(admin.ModelAdmin):
    list_display = ["run", "entity", "source_id", "target_id", "outcome", "recorded_at"]
    list_filter = ["outcome", "entity"]
    search_fields = ["source_id", "target_id", "reason"]
    raw_id_fields = ["run"]
