"""archsim: an ISAAC-style RRAM crossbar accelerator co-design simulator."""

__version__ = "0.1.0"
