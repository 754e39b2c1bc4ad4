import sys

from dltui.cli import main

sys.exit(main())
