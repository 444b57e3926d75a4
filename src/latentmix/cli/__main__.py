"""python -m latentmix.cli"""

import sys

from . import main

sys.exit(main())
