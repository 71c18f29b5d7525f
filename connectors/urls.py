"""The emulated help desks, one prefix per platform: /sandbox/<platform>/<account>/…"""

from django.urls import include, path

urlpatterns: list = [
    path("zendesk/<slug:account_slug>/", include("connectors.zendesk.emulator")),
    path("freshdesk/<slug:account_slug>/", include("connectors.freshdesk.emulator")),
    path("teamwork_desk/<slug:account_slug>/", include("connectors.teamwork_desk.emulator")),
    path("edesk/<slug:account_slug>/", include("connectors.edesk.emulator")),
    path("halo/<slug:account_slug>/", include("connectors.halo.emulator")),
]
