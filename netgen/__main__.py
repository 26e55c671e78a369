"""`python -m netgen`."""

from netgen.cli.app import main

if __name__ == "__main__":
    main()
