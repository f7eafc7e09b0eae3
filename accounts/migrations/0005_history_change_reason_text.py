"""History reasons are text (SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD): a reason quotes what
someone typed and can be longer than simple-history's default 100 characters."""

from django.db import migrations, models

HISTORICAL_MODELS = ["historicalmembership", "historicalteam", "historicaluser"]


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_sso")]

    operations = [
        migrations.AlterField(
            model_name=name, name="history_change_reason", field=models.TextField(null=True)
        )
        for name in HISTORICAL_MODELS
    ]
