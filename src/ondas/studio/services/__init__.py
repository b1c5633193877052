"""Operations that change the studio; the rules live here, the pages stay thin.

``members``: roles, invitations, the last owner; ``shows``: create and edit a
show; ``claims``: owners of imported shows.
"""
