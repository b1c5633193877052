from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "ondas.catalog"
    label = "catalog"
    verbose_name = _("Catalog")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_sync_categories, sender=self)


def _sync_categories(**kwargs: object) -> None:
    from ondas.catalog.services import category_sync_apple

    category_sync_apple()
