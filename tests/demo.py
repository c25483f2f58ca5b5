"""The small trained helpdesk, for the `trained_org` fixture and the API's property tests."""

from aiops.models import Organization


def trained_demo_load(*, organization: Organization, classifiers: dict) -> Organization:
    """A generated helpdesk (seed 3, 400 tickets) with a deployed v1.0.0 for every task: the
    classifiers come pre-fitted (`demo_classifiers`), the reply retriever through a run."""
    from aiops.services.demo import demo_helpdesk_load
    from models_registry.choices import Task
    from models_registry.services import model_version_deploy, model_version_register
    from training.services import training_run_create, training_run_execute

    demo_helpdesk_load(organization=organization, seed=3, n_tickets=400)
    for task, (model, metrics) in classifiers.items():
        version = model_version_register(
            organization=organization,
            task=task,
            model=model,
            estimator="fast",
            labels=[str(c) for c in model.classes_],
            metrics=metrics,
        )
        model_version_deploy(model_version=version, reason="test fixture")
    run = training_run_create(organization=organization, task=Task.SUGGESTION, enqueue=False)
    run = training_run_execute(run_id=run.pk)
    assert run.status == "succeeded", run.error
    return organization
