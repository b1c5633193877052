"""The studio's audiobook pages: create and edit a book, and its parts.

Every page that names a book finds it through ``membership_get_for_user``
(editor or owner): any other id is a 404 (StudioNotFound), and a part id is
looked up inside that book only. Moving, renaming and removing parts are
plain form posts, so the page works without JavaScript; only uploading a
part's audio needs it (the upload widget).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ondas.accounts.types import AuthedHttpRequest
from ondas.catalog.models import Audiobook
from ondas.core.errors import OndasError
from ondas.studio.book_selectors import book_part_get, book_part_list
from ondas.studio.errors import StudioForbidden
from ondas.studio.forms_books import (
    BookForm,
    PartAddForm,
    PartMoveForm,
    PartRenameForm,
)
from ondas.studio.models import Membership, Role
from ondas.studio.selectors import membership_get_for_user, studio_create_allowed
from ondas.studio.services.books import (
    book_create_in_studio,
    book_part_add_in_studio,
    book_part_move_in_studio,
    book_part_remove_in_studio,
    book_part_rename_in_studio,
    book_update_in_studio,
)


def _book(request: AuthedHttpRequest, book_id: int) -> tuple[Membership, Audiobook]:
    # Raises StudioNotFound (404) unless an editor or owner of the book.
    membership = membership_get_for_user(
        user=request.user, audiobook_id=book_id, at_least=Role.EDITOR
    )
    assert membership.audiobook is not None
    return membership, membership.audiobook


def _to_book(book: Audiobook) -> HttpResponse:
    return redirect("studio:book-edit", book_id=book.pk)


def _book_page(
    request: AuthedHttpRequest,
    membership: Membership,
    book: Audiobook,
    *,
    form: BookForm | None = None,
    part_form: PartAddForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "book": book,
        "membership": membership,
        "form": form or BookForm(initial=BookForm.initial_for(book)),
        "part_form": part_form or PartAddForm(),
        "parts": book_part_list(book=book),
    }
    return render(request, "studio/books/edit.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def book_create_view(request: AuthedHttpRequest) -> HttpResponse:
    if not studio_create_allowed(user=request.user):
        raise StudioForbidden()
    form = BookForm(request.POST or None, request.FILES or None, creating=True)
    status = 400 if form.errors else 200
    if form.is_valid():
        try:
            book = book_create_in_studio(
                data=form.book_input(),
                audio_id=form.cleaned_data["audio_id"],
                part_title=form.cleaned_data.get("part_title") or "",
                acting_user=request.user,
            )
        except OndasError as exc:
            form.add_error(None, exc.message)
            status = exc.http_status
        else:
            messages.success(request, _("“%(title)s” is ready.") % {"title": book})
            return _to_book(book)
    return render(request, "studio/books/create.html", {"form": form}, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def book_edit_view(request: AuthedHttpRequest, book_id: int) -> HttpResponse:
    membership, book = _book(request, book_id)
    if request.method != "POST":
        return _book_page(request, membership, book)
    form = BookForm(request.POST, request.FILES, initial=BookForm.initial_for(book))
    if not form.is_valid():
        return _book_page(request, membership, book, form=form, status=400)
    try:
        book_update_in_studio(
            book=book, data=form.book_input(), acting_user=request.user
        )
    except OndasError as exc:
        form.add_error(None, exc.message)
        return _book_page(request, membership, book, form=form, status=exc.http_status)
    messages.success(request, _("Your changes are saved."))
    return _to_book(book)


@login_required
@require_POST
def book_part_add_view(request: AuthedHttpRequest, book_id: int) -> HttpResponse:
    membership, book = _book(request, book_id)
    form = PartAddForm(request.POST)
    if not form.is_valid():
        return _book_page(request, membership, book, part_form=form, status=400)
    try:
        book_part_add_in_studio(
            book=book,
            audio_id=form.cleaned_data["audio_id"],
            title=form.cleaned_data.get("title") or "",
            acting_user=request.user,
        )
    except OndasError as exc:  # AudioNotYours: another person's audio
        form.add_error(None, exc.message)
        return _book_page(
            request, membership, book, part_form=form, status=exc.http_status
        )
    messages.success(request, _("The part is added at the end of the book."))
    return _to_book(book)


@login_required
@require_POST
def book_part_move_view(
    request: AuthedHttpRequest, book_id: int, part_id: int
) -> HttpResponse:
    membership, book = _book(request, book_id)
    part = book_part_get(book=book, part_id=part_id)
    form = PartMoveForm(request.POST)
    if not form.is_valid():
        return _book_page(request, membership, book, status=400)
    book_part_move_in_studio(
        part=part, direction=form.cleaned_data["direction"], acting_user=request.user
    )
    return _to_book(book)


@login_required
@require_POST
def book_part_rename_view(
    request: AuthedHttpRequest, book_id: int, part_id: int
) -> HttpResponse:
    membership, book = _book(request, book_id)
    part = book_part_get(book=book, part_id=part_id)
    form = PartRenameForm(request.POST)
    if not form.is_valid():
        return _book_page(request, membership, book, status=400)
    book_part_rename_in_studio(
        part=part, title=form.cleaned_data.get("title") or "", acting_user=request.user
    )
    messages.success(request, _("The part is renamed."))
    return _to_book(book)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def book_part_remove_view(
    request: AuthedHttpRequest, book_id: int, part_id: int
) -> HttpResponse:
    membership, book = _book(request, book_id)
    part = book_part_get(book=book, part_id=part_id)
    if request.method == "POST":
        # BookLastPart (409) is rendered as a page that says what to do.
        book_part_remove_in_studio(part=part, acting_user=request.user)
        messages.success(request, _("The part is removed from the book."))
        return _to_book(book)
    context = {"book": book, "part": part}
    return render(request, "studio/books/part_remove.html", context)
