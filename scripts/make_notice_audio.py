"""Write src/ondas/feeds/static/feeds/notice-ended.mp3 from its code.

Run after changing ``ondas.feeds.notice_audio``; tests/feeds keeps the
committed file equal to what this writes.
"""

from __future__ import annotations

from ondas.feeds.notice_audio import FILE, notice_audio_encode


def main() -> None:
    with FILE.open("wb") as out:
        written = notice_audio_encode(out)
    print(f"{FILE}: {written} bytes")


if __name__ == "__main__":
    main()
