"""The model zoo: what nets there are, their usual input, and building one."""

from archsim.nets import get_net, list_nets, net_info
from archsim.nets.registry import NetInfo, check_option_names

__all__ = ["NetInfo", "check_option_names", "get_net", "list_nets", "net_info"]
