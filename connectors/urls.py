"""The emulated help desks, one prefix per platform: /sandbox/<platform>/<account>/…"""

urlpatterns: list = []
