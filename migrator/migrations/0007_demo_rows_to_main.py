"""Demos kept a record map of their own, so the full run created their records again.
Every run now shares the main map: a demo's row moves there unless a main row already
holds the same source record (then it stays, a copy on the target that the removal of the
demo's records can still take away). Rows written before the migration knew which of
its records it created say so only for tickets and articles, which are always created
(never found among the target's own records by a name or an e-mail address)."""

from django.db import migrations
from django.db.models import Exists, OuterRef

ALWAYS_CREATED = ("tickets", "articles")


def demo_rows_to_main(apps, schema_editor):
    RecordMap = apps.get_model("migrator", "RecordMap")
    RecordMap.objects.filter(entity__in=ALWAYS_CREATED).exclude(target_id="").update(
        created_on_target=True
    )
    RecordMap.objects.filter(namespace="demo").update(created_by_kind="demo")
    for kind in ("full", "delta", "remigration"):
        RecordMap.objects.filter(namespace="main", run__kind=kind).update(created_by_kind=kind)
    main = RecordMap.objects.filter(
        namespace="main",
        migration_id=OuterRef("migration_id"),
        entity=OuterRef("entity"),
        source_id=OuterRef("source_id"),
    )
    RecordMap.objects.filter(namespace="demo").exclude(Exists(main)).update(namespace="main")


def main_rows_back(apps, schema_editor):
    """Nothing to undo: a shared map is read the same way by the older code's full run."""


class Migration(migrations.Migration):
    dependencies = [("migrator", "0006_shared_record_map")]

    operations = [migrations.RunPython(demo_rows_to_main, main_rows_back)]
