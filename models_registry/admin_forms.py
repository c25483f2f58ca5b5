"""The forms of the registry console's operations (admin_console): they validate and
convert what was posted; the services check the rest (a refusal is a DomainError)."""

from django import forms

from models_registry.choices import DeploymentStrategy


def reason_or(data: dict, default: str) -> str:
    return data.get("reason") or default


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False, max_length=300)


class DeployForm(ReasonForm):
    strategy = forms.ChoiceField(choices=DeploymentStrategy.choices)
    percentage = forms.FloatField(required=False)
    steps = forms.CharField(required=False, max_length=200)
    step_minutes = forms.IntegerField(required=False, min_value=1, max_value=525_600)

    def clean_steps(self) -> list[float]:
        raw = self.cleaned_data["steps"].replace(";", ",")
        try:
            return [float(part) for part in raw.split(",") if part.strip()]
        except ValueError as error:
            raise forms.ValidationError(
                "Steps are percentages separated by commas, e.g. 10,50,100."
            ) from error

    def clean(self):
        data = super().clean()
        steps = data.get("steps") or []
        # "10,50,100" without a percentage: the first step is where the rollout starts.
        if data.get("strategy") == DeploymentStrategy.GRADUAL and steps:
            if data.get("percentage") is None:
                data["percentage"], steps = steps[0], steps[1:]
            data["steps"] = steps
        return data


class ABStartForm(ReasonForm):
    split_percentage = forms.FloatField(initial=50)
    minimum_detectable_effect = forms.FloatField(initial=0.05)


class ShadowStartForm(ReasonForm):
    percentage = forms.FloatField(initial=100)


class ConcludeForm(ReasonForm):
    winner = forms.ChoiceField(choices=[("", "the statistics' verdict"), ("A", "A"), ("B", "B")])
    force = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["winner"].required = False
