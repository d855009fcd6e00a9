"""CLI start-up stays cheap: help and the light commands import neither torch nor the
simulators, since every command module imports heavy parts of `archsim.api` only when it runs.
"""

import subprocess
import sys

import pytest

HEAVY = ("torch", "simpy")


LIGHT = (["--help"], ["map", "--help"], ["models", "--help"], ["hw", "--help"],
         ["faults", "--help"], ["hw", "list"])  # fmt: skip


@pytest.mark.parametrize("args", LIGHT)
def test_help_and_light_commands_import_no_torch(args: list[str]) -> None:
    code = ("import sys\nfrom archsim.cli import cli\n"
            f"code = cli.main({args!r}, 'archsim', standalone_mode=False)\n"
            f"print('loaded:', sorted(m for m in {HEAVY!r} if m in sys.modules))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    assert out.strip().splitlines()[-1] == "loaded: []"


def test_the_api_package_loads_its_submodules_on_first_use() -> None:
    code = ("import sys, archsim.api as api\n"
            "print('torch' in sys.modules, 'archsim.api.mapping' in sys.modules)\n"
            "api.MapOptions\n"
            "print('archsim.api.mapping' in sys.modules, len(api.__all__) > 20)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    assert out.split() == ["False", "False", "True", "True"]


def test_every_public_api_name_resolves() -> None:
    import archsim.api as api

    assert all(getattr(api, name) is not None for name in api.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nosuch'"):
        api.nosuch  # noqa: B018
