"""Answering queries: parsing, ranking, filters, tags, duplicates and show-where."""
