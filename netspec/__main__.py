"""``python -m netspec`` is the ``netspec`` command."""

from netspec.cli import main

main()
