"""The thin command line over :mod:`netgen.api`: argument parsing (Typer), presentation
(``console``, terminal-safe) and exit codes. ``app`` wires the command modules."""
