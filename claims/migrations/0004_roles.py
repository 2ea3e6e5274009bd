"""The three roles as groups, with the admin permissions each needs."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = {
    "sources": ["source", "document"],
    "claims": ["topic", "claim", "appearance", "statement", "attribution"],
}
# Claims are never deleted, so no role gets delete on them.
ROLE_ACTIONS = {
    "editor": ["add", "change", "view", "delete"],
    "journalist": ["view"],
    "auditor": ["view"],
}


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, actions in ROLE_ACTIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [
            f"{action}_{model}"
            for app, models in MODELS.items()
            for model in models
            for action in actions
            if not (action == "delete" and model == "claim")
        ]
        group.permissions.add(*Permission.objects.filter(content_type__app_label__in=MODELS, codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0003_attribution_same_claim"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
