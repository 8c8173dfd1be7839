"""The model (CLIP or SigLIP): finding and downloading it, loading it, its towers."""
