from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from .headers import nonce_wagtail_chooser_scripts
        from .roles import ensure_role_groups
        from .signals import connect_page_cache, on_user_logged_in

        # Groups and their permissions are data the code relies on: (re)create them after
        # every migrate so a fresh database and an upgraded one end up the same. Permissions of
        # every app exist only once the last app's post_migrate has run, so wait for that one.
        post_migrate.connect(ensure_role_groups)

        # Wagtail's chooser widgets write their start-up <script> from Python; give it the nonce.
        nonce_wagtail_chooser_scripts()

        user_logged_in.connect(on_user_logged_in, dispatch_uid="portal.on_user_logged_in")

        # Cached public pages follow every publish, move, delete and setting change (portal/pagecache.py).
        connect_page_cache()
