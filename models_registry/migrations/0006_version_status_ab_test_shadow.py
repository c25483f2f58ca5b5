from django.db import migrations, models


def statuses_say_what_versions_do(apps, schema_editor):
    """Arms of running A/B tests (other than the stable version) become `ab_test`, and a
    shadow's version that serves nothing live becomes `shadow`."""
    ABTest = apps.get_model("models_registry", "ABTest")
    Deployment = apps.get_model("models_registry", "Deployment")
    ModelVersion = apps.get_model("models_registry", "ModelVersion")
    ShadowDeployment = apps.get_model("models_registry", "ShadowDeployment")
    live = {}
    for row in Deployment.objects.filter(status="active").values(
        "organization_id", "task", "model_version_id", "candidate_version_id"
    ):
        live[(row["organization_id"], row["task"])] = {
            row["model_version_id"],
            row["candidate_version_id"],
        }
    for test in ABTest.objects.filter(status="running"):
        stable = live.get((test.organization_id, test.task), set())
        ModelVersion.objects.filter(pk__in={test.version_a_id, test.version_b_id} - stable).update(
            status="ab_test"
        )
        live.setdefault((test.organization_id, test.task), set()).update(
            {test.version_a_id, test.version_b_id}
        )
    for shadow in ShadowDeployment.objects.filter(active=True):
        if shadow.model_version_id not in live.get((shadow.organization_id, shadow.task), set()):
            ModelVersion.objects.filter(
                pk=shadow.model_version_id, status__in=["registered", "staging", "deprecated"]
            ).update(status="shadow")


class Migration(migrations.Migration):
    dependencies = [
        ("models_registry", "0005_deployment_rollout_schedule"),
    ]

    operations = [
        migrations.AlterField(
            model_name="modelversion",
            name="status",
            field=models.CharField(
                choices=[
                    ("registered", "Registered"),
                    ("staging", "Staging"),
                    ("canary", "Canary"),
                    ("ab_test", "In an A/B test"),
                    ("shadow", "Shadow"),
                    ("active", "Active"),
                    ("deprecated", "Deprecated"),
                    ("archived", "Archived"),
                ],
                default="registered",
                max_length=12,
            ),
        ),
        migrations.RunPython(statuses_say_what_versions_do, migrations.RunPython.noop),
    ]
