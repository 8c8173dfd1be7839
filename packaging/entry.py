"""The bundle's entry point: the `photofind` command (packaging/photofind.spec builds it)."""

import multiprocessing

from photofind.cli import run

if __name__ == "__main__":
    # A frozen program that starts worker processes (torch, multiprocessing) must say so first.
    multiprocessing.freeze_support()
    run()
