import sys

from portalgraph.cli import main

sys.exit(main())
