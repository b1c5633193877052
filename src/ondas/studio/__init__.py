"""The creator studio: who owns a show, publishing, uploads, chapters, transcripts."""
