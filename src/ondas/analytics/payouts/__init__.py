"""Payouts by consumption (issue 14, item 4): the split, the close, the statements.

``split`` holds the arithmetic, ``engine`` reads a month and computes it,
``services`` closes and reopens periods, ``selectors`` reads statements back.
The rules are written out in ``analytics/README.md``.
"""
