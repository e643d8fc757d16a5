"""Forms of the user management pages. They only parse input; accounts.services validates the
rules (roles, the last admin, passwords) and writes."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from closedloop.accounts.roles import Role
from closedloop.accounts.selectors import manager_choices, team_list


class _PeopleFields(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    team = forms.ModelChoiceField(queryset=team_list(), required=False, empty_label="No team")
    manager = forms.ModelChoiceField(queryset=manager_choices(), required=False, empty_label="No manager")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Fresh querysets per form: teams and users change while the server runs.
        self.fields["team"].queryset = team_list()  # type: ignore[attr-defined]
        self.fields["manager"].queryset = manager_choices()  # type: ignore[attr-defined]

    def add_service_errors(self, exc: ValidationError) -> None:
        """Show a service's refusal next to the field it names, or above the form."""
        for field, messages in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class UserCreateForm(_PeopleFields):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    password = forms.CharField(widget=forms.PasswordInput, help_text="The user can change it later.")
    password_again = forms.CharField(widget=forms.PasswordInput)

    field_order = ["username", "first_name", "last_name", "email", "role", "team", "manager"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "the two passwords differ")
        return data


class UserChangeForm(_PeopleFields):
    pass


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=120, help_text='What uses it, e.g. "website tracker".')
    scopes = forms.MultipleChoiceField(choices=[], widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, allowed: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [(s, s) for s in allowed]  # type: ignore[attr-defined]

    def add_service_errors(self, exc: ValidationError) -> None:
        for field, messages in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)
