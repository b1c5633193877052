"""Signals other contexts connect to; accounts imports none of them.

``user_deleting``
    Sent by ``services.user_delete`` once the person has confirmed with their
    password and no ``privacy`` check refused (the last owner of a show),
    **before** any personal data is removed::

        user_deleting.send(sender=User, user=user, now=now)

    - ``user`` is the ``User`` still intact (real email, name, role); ``now`` is
      the aware UTC datetime the deletion is stamped with.
    - Receivers run **outside** any transaction, so they may call their own
      ``@transaction.atomic(durable=True)`` services (billing cancels the
      subscription here, with no refund or further charge).
    - A receiver that raises stops the deletion: the exception reaches the
      caller and the account is left untouched (receivers that already ran keep
      their effect). Receivers must therefore be idempotent: the person may try
      again.
    - Keep, don't delete, rows that point at the user (ledger, invoices): after
      the signal the row stays, anonymised (``deleted-<id>@deleted.invalid``,
      no name, no usable password, inactive, ``deleted_at`` set).
    - Whatever must outlive the address (for example "this person already had a
      free trial") must be stored as a keyed hash, never as the address.

    Connect in ``AppConfig.ready()``::

        user_deleting.connect(on_user_deleting, dispatch_uid="billing.cancel")
"""

from __future__ import annotations

from django.dispatch import Signal

user_deleting = Signal()
