from photofind.cli import run

run()
