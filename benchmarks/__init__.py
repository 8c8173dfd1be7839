"""Benchmark harness for issue #4: indexing rate against the pipeline bound, search, start-up."""
