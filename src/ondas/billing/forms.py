"""The shape of what people send to billing pages; the rules are in services."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ondas.billing.errors import PaymentDeclined, PaymentMethodRefused

# 12 to 19 digits, grouped by spaces or hyphens as people type them.
CARD_NUMBER_RE = re.compile(r"^[0-9](?:[ -]?[0-9]){11,18}$")


class CardForm(forms.Form):
    """A card number for the offline provider, which takes test cards only."""

    card_number = forms.CharField(
        label=gettext_lazy("Card number"),
        max_length=26,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "cc-number",
                "inputmode": "numeric",
                "spellcheck": "false",
                "autocapitalize": "off",
            }
        ),
        help_text=gettext_lazy(
            "This server takes test cards only, such as 4242 4242 4242 4242: "
            "no real card is ever charged."
        ),
        error_messages={"required": gettext_lazy("Enter a card number.")},
    )
    # Set by a page that said the first period is charged today (no trial):
    # the person agreed to it by pressing the button that named the amount.
    accept_charge = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_card_number(self) -> str:
        number = " ".join(str(self.cleaned_data["card_number"]).split())
        if not CARD_NUMBER_RE.match(number):
            raise forms.ValidationError(
                _("A card number has 12 to 19 digits, with or without spaces."),
                code="card_number_shape",
            )
        return number

    def add_payment_error(self, error: PaymentDeclined | PaymentMethodRefused) -> None:
        """Show why the card was not taken, in words a person can act on."""
        if isinstance(error, PaymentDeclined):
            message = _("This card was declined. Try another one.")
        else:
            message = error.message
        self.add_error("card_number", message)
