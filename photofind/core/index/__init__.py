"""The library's index: the store (all SQL), indexer, watcher, places, snapshot."""
