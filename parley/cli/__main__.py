"""`python -m parley.cli`: the same as the `parley` command."""

from parley.cli.main import main

raise SystemExit(main())
