"""A minimal platform, to test what every emulator shares."""

from django.urls import path

from connectors import emulation

PROFILE = emulation.EmulatorProfile(
    platform="probe",
    default_rate_limit_per_minute=3,
    authenticate=lambda request, account: (
        request.headers.get("Authorization") == f"Bearer {account.secrets['token']}"
    ),
    error_body=lambda status, code, message: {"error": code, "description": message},
    rate_limit_headers=lambda limit, remaining, reset: {
        "X-Rate-Limit": str(limit),
        "X-Rate-Limit-Remaining": str(remaining),
    },
)


@PROFILE.endpoint
def items(request, account):
    if request.method == "POST":
        body = emulation.request_json(request, PROFILE)
        record = emulation.record_create(
            account=account, collection="items", data=body, id_start=100
        )
        return 201, {"item": {"id": record.number, **record.data}}
    return {
        "items": [
            {"id": r.number, **r.data}
            for r in emulation.records(account=account, collection="items")
        ]
    }


@PROFILE.endpoint
def item(request, account, number):
    record = emulation.record_get(
        account=account, collection="items", number=number, profile=PROFILE
    )
    return {"item": {"id": record.number, **record.data}}


@PROFILE.endpoint
def blob(request, account, token):
    return emulation.blob_response(account.blobs.get(token=token))


urlpatterns = [
    path("sandbox/probe/<slug:account_slug>/items", items),
    path("sandbox/probe/<slug:account_slug>/items/<int:number>", item),
    path("sandbox/probe/<slug:account_slug>/blobs/<str:token>", blob),
]
