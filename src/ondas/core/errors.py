"""The error type every Ondas service raises, and the codes clients can rely on.

Codes stay English and stable; messages are translated. The web middleware and
the API handler render an ``OndasError`` as ``{code, message, data}``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class ErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    INVALID_REQUEST = "invalid_request"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    # storage faults (core.faults): 503, try again later
    STORAGE_BUSY = "storage_busy"
    STORAGE_FULL = "storage_full"
    STORAGE_READ_ONLY = "storage_read_only"
    STORAGE_IO_ERROR = "storage_io_error"
    STORAGE_UNAVAILABLE = "storage_unavailable"
    SIGN_IN_REQUIRED = "sign_in_required"
    SHOW_NOT_FOUND = "show_not_found"
    EPISODE_NOT_FOUND = "episode_not_found"
    AUDIO_NOT_FOUND = "audio_not_found"
    AUDIO_MISSING_ON_DISK = "audio_missing_on_disk"
    INVALID_LANGUAGE = "invalid_language"
    INVALID_CATEGORY = "invalid_category"
    INVALID_CHAPTER = "invalid_chapter"
    # accounts
    EMAIL_INVALID = "email_invalid"
    EMAIL_ALREADY_REGISTERED = "email_already_registered"
    PASSWORD_TOO_WEAK = "password_too_weak"  # noqa: S105 - an error code
    INVALID_CREDENTIALS = "invalid_credentials"
    SIGN_IN_RATE_LIMITED = "sign_in_rate_limited"
    PASSWORD_INCORRECT = "password_incorrect"  # noqa: S105 - an error code
    VERIFICATION_LINK_INVALID = "verification_link_invalid"
    VERIFICATION_LINK_EXPIRED = "verification_link_expired"
    VERIFICATION_EMAIL_RATE_LIMITED = "verification_email_rate_limited"
    ROLE_CHANGE_FORBIDDEN = "role_change_forbidden"
    LAST_STAFF_MEMBER = "last_staff_member"
    ACCOUNT_DELETED = "account_deleted"
    ACCOUNT_DELETION_REFUSED = "account_deletion_refused"
    SIGN_UP_RATE_LIMITED = "sign_up_rate_limited"
    SIGN_UP_ALREADY_CONFIRMED = "sign_up_already_confirmed"
    DEVICE_CODE_INVALID = "device_code_invalid"
    DEVICE_CODE_RATE_LIMITED = "device_code_rate_limited"
    # feeds: importing, refreshing and publishing RSS
    FEED_URL_INVALID = "feed_url_invalid"
    FEED_ADDRESS_REFUSED = "feed_address_refused"
    FEED_DNS_FAILED = "feed_dns_failed"
    FEED_CONNECTION_FAILED = "feed_connection_failed"
    FEED_TIMEOUT = "feed_timeout"
    FEED_TOO_LARGE = "feed_too_large"
    FEED_TOO_MANY_REDIRECTS = "feed_too_many_redirects"
    FEED_HTTP_ERROR = "feed_http_error"
    FEED_TRUNCATED = "feed_truncated"
    FEED_EMPTY = "feed_empty"
    FEED_NO_AUDIO = "feed_no_audio"
    FEED_UNPARSABLE = "feed_unparsable"
    FEED_XML_FORBIDDEN = "feed_xml_forbidden"
    FEED_LOCKED = "feed_locked"
    FEED_OLDER = "feed_older"
    FEED_MASS_REMOVAL_HELD = "feed_mass_removal_held"
    FEED_ALREADY_IMPORTED = "feed_already_imported"
    FEED_IMPORT_IN_PROGRESS = "feed_import_in_progress"
    FEED_SOURCE_NOT_FOUND = "feed_source_not_found"
    FEED_SOURCE_DETACHED = "feed_source_detached"
    FEED_REFRESH_NOT_PENDING = "feed_refresh_not_pending"
    FEED_APPROVAL_STALE = "feed_approval_stale"
    CHAPTERS_INVALID = "chapters_invalid"
    # catalog: the studio's episodes
    EPISODE_STATE_INVALID = "episode_state_invalid"
    EPISODE_NEEDS_AUDIO = "episode_needs_audio"
    EPISODE_GUID_RETIRED = "episode_guid_retired"
    EPISODE_TIME_PAST = "episode_time_past"
    FIELDS_MANAGED_BY_FEED = "fields_managed_by_feed"
    CHAPTERS_REJECTED = "chapters_rejected"
    TRANSCRIPT_INVALID = "transcript_invalid"
    FEED_IMPORT_FORBIDDEN = "feed_import_forbidden"
    FEED_IMPORT_NOT_FOUND = "feed_import_not_found"
    # search: transcripts made from the audio (the transcribe extra)
    TRANSCRIBE_UNAVAILABLE = "transcribe_unavailable"
    TRANSCRIBE_LANGUAGE_REFUSED = "transcribe_language_refused"
    TRANSCRIBE_ALREADY_DONE = "transcribe_already_done"
    TRANSCRIBE_FAILED = "transcribe_failed"
    OPML_INVALID = "opml_invalid"
    OPML_XML_FORBIDDEN = "opml_xml_forbidden"
    OPML_TOO_LARGE = "opml_too_large"
    # billing
    SUBSCRIPTION_INVALID_TRANSITION = "subscription_invalid_transition"
    ALREADY_SUBSCRIBED = "already_subscribed"
    PLAN_NOT_OFFERED = "plan_not_offered"
    SUBSCRIPTION_NOT_FOUND = "subscription_not_found"
    SUBSCRIPTION_ALREADY_CANCELLED = "subscription_already_cancelled"
    SUBSCRIPTION_NOT_RESUMABLE = "subscription_not_resumable"
    PAYMENT_DECLINED = "payment_declined"
    PAYMENT_METHOD_REFUSED = "payment_method_refused"
    TRIAL_UNAVAILABLE = "trial_unavailable"
    CHARGE_CONSENT_INVALID = "charge_consent_invalid"
    WEBHOOK_SIGNATURE_INVALID = "webhook_signature_invalid"
    PRIVATE_FEED_NOT_FOUND = "private_feed_not_found"
    PRIVATE_FEED_NEEDS_PLAN = "private_feed_needs_plan"
    # playback: metering and progress
    LISTENING_REPORT_REFUSED = "listening_report_refused"
    LISTENING_SESSION_SUPERSEDED = "listening_session_superseded"
    AUDIOBOOK_ALLOWANCE_REQUIRED = "audiobook_allowance_required"
    WEBHOOK_PAYLOAD_INVALID = "webhook_payload_invalid"
    # playback
    SUBSCRIPTION_REQUIRED = "subscription_required"
    # studio: members, invitations, claims
    STUDIO_NOT_FOUND = "studio_not_found"
    STUDIO_FORBIDDEN = "studio_forbidden"
    STUDIO_LAST_OWNER = "studio_last_owner"
    STUDIO_ALREADY_MEMBER = "studio_already_member"
    STUDIO_INVITATION_INVALID = "studio_invitation_invalid"
    STUDIO_INVITATION_EXPIRED = "studio_invitation_expired"
    STUDIO_INVITATION_USED = "studio_invitation_used"
    STUDIO_INVITATION_WRONG_EMAIL = "studio_invitation_wrong_email"
    STUDIO_FIELD_FOLLOWS_FEED = "studio_field_follows_feed"
    STUDIO_CLAIM_NOT_IMPORTED = "studio_claim_not_imported"
    # studio: uploads (tus) and the checks of what is uploaded
    UPLOAD_NOT_FOUND = "upload_not_found"
    UPLOAD_EXPIRED = "upload_expired"
    UPLOAD_OFFSET_MISMATCH = "upload_offset_mismatch"
    UPLOAD_TOO_LARGE = "upload_too_large"
    UPLOAD_BUSY = "upload_busy"
    UPLOAD_CHECKSUM_MISMATCH = "upload_checksum_mismatch"
    UPLOAD_TOO_MANY_OPEN = "upload_too_many_open"
    UPLOAD_VERSION_UNSUPPORTED = "upload_version_unsupported"
    AUDIO_EMPTY = "audio_empty"
    AUDIO_TOO_LARGE = "audio_too_large"
    AUDIO_NOT_AUDIO = "audio_not_audio"
    AUDIO_FORMAT_REFUSED = "audio_format_refused"
    AUDIO_TRUNCATED = "audio_truncated"
    AUDIO_DAMAGED = "audio_damaged"
    AUDIO_DURATION_UNKNOWN = "audio_duration_unknown"
    ARTWORK_REFUSED = "artwork_refused"
    # studio and catalog: audiobooks, show deletion
    BOOK_LAST_PART = "book_last_part"
    STUDIO_AUDIO_NOT_YOURS = "studio_audio_not_yours"
    # payouts
    PAYOUT_MONTH_INVALID = "payout_month_invalid"
    PAYOUT_PERIOD_NOT_OVER = "payout_period_not_over"
    PAYOUT_PERIOD_NOT_CLOSED = "payout_period_not_closed"
    # api: tokens, scopes, limits, and what ninja or Django refuse themselves
    ACCESS_TOKEN_INVALID = "access_token_invalid"  # noqa: S105 - an error code
    SCOPE_INSUFFICIENT = "scope_insufficient"
    CSRF_FAILED = "csrf_failed"
    RATE_LIMITED = "rate_limited"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    SERVER_ERROR = "server_error"


class OndasError(Exception):
    """A failure a user or client caused, with a stable code and an HTTP status."""

    code: ClassVar[ErrorCode]
    http_status: ClassVar[int] = 400

    def __init__(self, message: str, **data: object) -> None:
        super().__init__(message)
        self.message = message
        self.data = data

    def as_dict(self) -> dict[str, object]:
        """Return the error as the body clients receive."""
        return {"code": str(self.code), "message": self.message, "data": self.data}


class InvalidRequest(OndasError):
    """A request whose shape is wrong: malformed JSON, a missing or absurd field."""

    code = ErrorCode.INVALID_REQUEST
    http_status = 400

    def __init__(self, *, reason: str, field: str | None = None) -> None:
        if field is None:
            super().__init__(reason)
        else:
            super().__init__(reason, field=field)


class UnsupportedMediaType(OndasError):
    """A body in a format the endpoint does not read (a form post to a JSON API)."""

    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE
    http_status = 415

    def __init__(self, message: str, *, expected: str, received: str) -> None:
        super().__init__(message, expected=expected, received=received)


class PayloadTooLarge(OndasError):
    """A body over the size the endpoint accepts."""

    code = ErrorCode.PAYLOAD_TOO_LARGE
    http_status = 413

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message, limit=limit)


class SignInRequired(OndasError):
    code = ErrorCode.SIGN_IN_REQUIRED
    http_status = 401


class NotFoundError(OndasError):
    code = ErrorCode.NOT_FOUND
    http_status = 404
