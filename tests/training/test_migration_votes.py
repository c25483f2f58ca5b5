"""training 0005: votes stored before they kept a source get the best one left for them,
votes counted without a voter become votes, and trusted labels that feedback overwrote
before votes weighed by trust are disputed, for a reviewer to look at."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

FEEDBACK = ("feedback", "0003_training_pending")  # what 0005 reads
BEFORE = [("training", "0004_event_action_withdrawn"), FEEDBACK]
AFTER = [("training", "0005_example_votes_sources_disputed"), FEEDBACK]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def migrator(transactional_db):
    yield _migrate
    # Back to the latest schema, whatever the test did, for the tests after it.
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_votes_get_their_sources_and_overwritten_trusted_labels_are_disputed(migrator):
    old = migrator(BEFORE)
    org = old.get_model("aiops", "Organization").objects.create(slug="m", name="M")
    user = old.get_model("auth", "User").objects.create(username="agent")
    version = old.get_model("models_registry", "ModelVersion").objects.create(
        organization=org, task="category", major=1, minor=0, patch=0
    )

    def feedback(operation_id, corrected=""):
        return old.get_model("feedback", "Feedback").objects.create(
            organization=org,
            user=user,
            operation_type="classification",
            operation_id=operation_id,
            feedback="negative" if corrected else "positive",
            corrected_category=corrected,
            model_version=version,
        )

    correction, acceptance = feedback(1, "Feature Request"), feedback(2)
    examples = old.get_model("training", "TrainingExample").objects

    def example(text, **fields):
        return examples.create(
            organization=org, task="category", input_text=text, content_hash=text, **fields
        ).pk

    # The example: an expert label a single correction overwrote.
    overwritten = example(
        "Where is my invoice",
        expected_output="Feature Request",
        source="expert",
        validation_status="approved",
        label_votes={"Billing": 1, "Feature Request": 1},
        operation_votes={"import:": "Billing", f"feedback:{correction.pk}": "Feature Request"},
    )
    # Feedback only, one vote counted without a voter (added by hand).
    pending = example(
        "Charged twice",
        expected_output="Billing",
        source="user_acceptance",
        label_votes={"Billing": 2},
        operation_votes={f"feedback:{acceptance.pk}": "Billing"},
    )
    # A reviewer's decision stands: its votes are converted, nothing is disputed.
    reviewed = example(
        "Cannot log in",
        expected_output="Account",
        source="reviewer",
        validation_status="approved",
        quality_parts={"review": "approved"},
        label_votes={"Account": 1, "Feature Request": 1},
        operation_votes={"review:": "Account", f"feedback:{correction.pk}": "Feature Request"},
    )

    new = migrator(AFTER).get_model("training", "TrainingExample").objects
    first = new.get(pk=overwritten)
    assert first.operation_votes == {
        "import:": {"label": "Billing", "source": "expert"},
        f"feedback:{correction.pk}": {"label": "Feature Request", "source": "user_correction"},
    }
    assert first.disputed and first.expected_output == "Feature Request"
    second = new.get(pk=pending)
    assert second.operation_votes == {
        f"feedback:{acceptance.pk}": {"label": "Billing", "source": "user_acceptance"},
        "legacy:1": {"label": "Billing", "source": "user_acceptance"},
    }
    assert second.label_votes == {"Billing": 2} and not second.disputed
    third = new.get(pk=reviewed)
    assert third.operation_votes["review:"] == {"label": "Account", "source": "reviewer"}
    assert not third.disputed

    # Back: labels only, the counted votes counted again.
    back = migrator(BEFORE).get_model("training", "TrainingExample").objects
    assert back.get(pk=pending).operation_votes == {f"feedback:{acceptance.pk}": "Billing"}
    assert back.get(pk=pending).label_votes == {"Billing": 2}
