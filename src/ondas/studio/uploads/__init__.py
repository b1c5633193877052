"""Uploads to the studio: the server side of tus 1.0 (core, creation, termination,
expiration, checksum), a plain form post for small files, and the checks an
audio file or an artwork image must pass before it is stored."""
