from django.urls import path

from wizard import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("migrations/new/", views.migration_create, name="migration_create"),
    path("migrations/<int:migration_id>/rename/", views.migration_rename, name="migration_rename"),
    path("migrations/<int:migration_id>/row/", views.migration_row, name="migration_row"),
]
