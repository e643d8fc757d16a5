"""Tokens get scopes. Tokens that existed before scopes keep working: each gets every scope its
user's role held when this migration ran (all scopes for a superuser)."""

from django.db import migrations, models


def grant_role_scopes(apps, schema_editor):
    from closedloop.accounts.roles import SCOPES, scopes_for_role

    ApiToken = apps.get_model("accounts", "ApiToken")
    for token in ApiToken.objects.select_related("user"):
        user = token.user
        token.scopes = sorted(SCOPES) if user.is_superuser else scopes_for_role(user.role)
        token.save(update_fields=["scopes"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scopes",
            field=models.JSONField(blank=True, default=list, help_text="Scopes the token may use."),
        ),
        migrations.RunPython(grant_role_scopes, migrations.RunPython.noop),
    ]
