"""Photos on disk: decoding every format (RAW, HEIC), thumbnails, camera details, scanning."""
