from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "ondas.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from ondas.accounts.sections import AccountSection, account_section_register

        account_section_register(
            AccountSection(
                key="accounts.tokens",
                template_name="accounts/_account_tokens.html",
                get_context=_tokens_section,
                order=40,
            )
        )


def _tokens_section(user: object) -> dict[str, object]:
    """The account page's personal access tokens: the live ones, and a form."""
    from ondas.accounts.access_tokens import access_token_list_live
    from ondas.accounts.models import AccessToken, User

    assert isinstance(user, User)
    return {
        "tokens": list(access_token_list_live(user=user)),
        "scopes": AccessToken.Scope.choices,
    }
