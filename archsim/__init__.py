"""archsim: an ISAAC-style RRAM crossbar accelerator co-design simulator."""

import logging

__version__ = "0.1.0"

# Library log lines (epochs, recalibration, warnings) stay quiet unless a command shows them.
logging.getLogger("archsim").addHandler(logging.NullHandler())
