"""The roles' admin permissions on foreign reviews: editors curate them, everyone reads them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_ACTIONS = {"editor": ["view", "change", "delete"], "journalist": ["view"], "auditor": ["view"]}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("claims")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, actions in ROLE_ACTIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [f"{action}_foreignreview" for action in actions]
        group.permissions.add(*Permission.objects.filter(content_type__app_label="claims", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [("claims", "0005_foreign_reviews")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
