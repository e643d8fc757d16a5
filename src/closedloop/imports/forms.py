"""Input parsing for the import pages."""

from django import forms

from closedloop.imports.models import ImportJob


class UploadForm(forms.Form):
    file = forms.FileField(help_text="A CSV export (UTF-8, UTF-16 or Windows-1252; comma, semicolon or tab).")
    target = forms.ChoiceField(choices=ImportJob.Target.choices, initial=ImportJob.Target.CONTACTS)

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        return upload
