"""The CLIP-family model: finding and downloading it, loading it, its towers."""
