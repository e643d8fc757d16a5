"""The draft editor's forms: the document's fields, one form per stage definition, SLA terms and
personas (formsets with an empty row to add one). They turn POST data into the keyword arguments
of `agreement_draft_update`; the service does the real validation."""

from typing import Any

from django import forms

from closedloop.accounts.models import User
from closedloop.accounts.roles import INTERNAL
from closedloop.agreement.content import stage_label
from closedloop.agreement.models import AgreementVersion, Side, SlaKind, SlaUnit

TEXTAREA = {"rows": 4}


class QualifierField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.get_role_display().lower()})"


class VersionForm(forms.Form):
    title = forms.CharField(max_length=200)
    purpose = forms.CharField(required=False, widget=forms.Textarea(attrs=TEXTAREA))
    stage_order = forms.CharField(
        max_length=800,
        help_text="Stage names, first to last, separated by commas or arrows (visitor → iql → mql …).",
    )
    sales_ready_stage = forms.CharField(
        max_length=40, help_text="Entering this stage hands the lead to sales."
    )
    marketing_responsibilities = forms.CharField(
        required=False, widget=forms.Textarea(attrs=TEXTAREA), help_text="One per line."
    )
    sales_responsibilities = forms.CharField(
        required=False, widget=forms.Textarea(attrs=TEXTAREA), help_text="One per line."
    )
    qualifiers = QualifierField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="People designated to process and qualify leads.",
    )
    change_note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What this version changes and why.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["qualifiers"].queryset = User.objects.filter(is_active=True, role__in=INTERNAL).order_by(  # type: ignore[attr-defined]
            "first_name", "last_name", "username"
        )

    @staticmethod
    def initial_for(version: AgreementVersion) -> dict[str, Any]:
        return {
            "title": version.title,
            "purpose": version.purpose,
            "stage_order": " → ".join(version.stage_order),
            "sales_ready_stage": version.sales_ready_stage,
            "marketing_responsibilities": version.marketing_responsibilities,
            "sales_responsibilities": version.sales_responsibilities,
            "qualifiers": list(version.qualifiers.all()),
            "change_note": version.change_note,
        }

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        raw = data["stage_order"].replace("→", ",").replace("->", ",").replace(">", ",")
        data["stage_order"] = [s.strip() for s in raw.split(",") if s.strip()]
        data["qualifiers"] = [u.pk for u in data["qualifiers"]]
        return data


class StageDefinitionForm(forms.Form):
    stage = forms.CharField(widget=forms.HiddenInput)
    rule = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}))
    explanation = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner_team = forms.ChoiceField(choices=Side.choices)

    @property
    def stage_label(self) -> str:
        return stage_label(self.initial.get("stage") or self.data.get(self.add_prefix("stage"), ""))


BLANK = [("", "—")]


class SlaTermForm(forms.Form):
    # Blank first choices: the empty "add a term" row posts nothing, so it is not validated.
    kind = forms.ChoiceField(choices=BLANK + SlaKind.choices)
    amount = forms.IntegerField(min_value=1)
    unit = forms.ChoiceField(choices=BLANK + SlaUnit.choices)
    stage = forms.CharField(max_length=40)
    owner_team = forms.ChoiceField(choices=BLANK + Side.choices)
    description = forms.CharField(required=False, max_length=1000)


class PersonaForm(forms.Form):
    key = forms.CharField(max_length=60, help_text='Rules refer to it: persona == "ops_manager".')
    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


StageDefinitionFormSet = forms.formset_factory(StageDefinitionForm, extra=0)
SlaTermFormSet = forms.formset_factory(SlaTermForm, extra=1, can_delete=True)
PersonaFormSet = forms.formset_factory(PersonaForm, extra=1, can_delete=True)


def formset_rows(formset: forms.BaseFormSet) -> list[dict[str, Any]]:
    """Filled-in rows of a formset, without deleted or untouched empty ones."""
    rows = []
    for form in formset.forms:
        if not form.has_changed() and not form.initial:
            continue
        data = form.cleaned_data
        if not data or data.get("DELETE"):
            continue
        rows.append({k: v for k, v in data.items() if k != "DELETE"})
    return rows


class EditorForms:
    """The four parts of the draft editor, bound together."""

    def __init__(self, version: AgreementVersion, data: Any = None) -> None:
        content_defs = list(version.stage_definitions.all())
        self.version = VersionForm(data, initial=VersionForm.initial_for(version), prefix="v")
        self.stages = StageDefinitionFormSet(
            data,
            initial=[
                {"stage": d.stage, "rule": d.rule, "explanation": d.explanation, "owner_team": d.owner_team}
                for d in content_defs
            ],
            prefix="defs",
        )
        self.terms = SlaTermFormSet(
            data,
            initial=[
                {
                    "kind": t.kind,
                    "amount": t.amount,
                    "unit": t.unit,
                    "stage": t.stage,
                    "owner_team": t.owner_team,
                    "description": t.description,
                }
                for t in version.sla_terms.all()
            ],
            prefix="sla",
        )
        self.personas = PersonaFormSet(
            data,
            initial=[
                {"key": p.key, "name": p.name, "description": p.description} for p in version.personas.all()
            ],
            prefix="persona",
        )

    def is_valid(self) -> bool:
        results = [
            self.version.is_valid(),
            self.stages.is_valid(),
            self.terms.is_valid(),
            self.personas.is_valid(),
        ]
        return all(results)

    def changes(self) -> dict[str, Any]:
        changes = self.version.changes()
        # A stage taken out of the order takes its definition with it; a new one starts empty.
        changes["stage_definitions"] = [
            {k: f.cleaned_data[k] for k in ("stage", "rule", "explanation", "owner_team")}
            for f in self.stages.forms
            if f.cleaned_data and f.cleaned_data["stage"] in changes["stage_order"]
        ]
        changes["sla_terms"] = formset_rows(self.terms)
        changes["personas"] = formset_rows(self.personas)
        return changes

    def errors(self) -> list[str]:
        out = []
        for name, errs in self.version.errors.items():
            out.extend(f"{name}: {e}" for e in errs)
        for label, formset in (("stage", self.stages), ("SLA term", self.terms), ("persona", self.personas)):
            out.extend(str(e) for e in formset.non_form_errors())
            for i, errs in enumerate(formset.errors):
                for name, msgs in errs.items():
                    out.extend(f"{label} {i + 1}, {name}: {m}" for m in msgs)
        return out
