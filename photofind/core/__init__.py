"""The headless engine: decoding, encoding, storage, indexing, search. No Qt here."""
