"""The doctor's dashboard routes, under /doctor/ (being written)."""

urlpatterns: list = []
