"""Where a delivered audio response says what it was, for the delivery log.

Playback puts these in the WSGI environ (``request.META``) when it sends an
audio file itself, and in these response headers when nginx sends it
(X-Accel-Redirect, or the rights answer nginx asks first); `ondas serve`'s
delivery log (``analytics.servelog``) and nginx's ``ondas_audio``
log_format read them back. nginx hides the headers from the client.
"""

from __future__ import annotations

AUDIO_KEY = "ondas.audio_id"
LISTENER_KEY = "ondas.listener_id"
AUDIO_HEADER = "Ondas-Audio"
LISTENER_HEADER = "Ondas-Listener"
