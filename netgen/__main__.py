"""`python -m netgen`."""

from netgen.cli import main

if __name__ == "__main__":
    main()
