"""What a newcomer meets first, with real processes: the lost-password hint works exactly as
printed, the command piped into `head` stops quietly, browsers get a cached favicon, and the
README lists the commands there are."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
from pathlib import Path

import pytest

from node.cli import _parser
from tests.rig.nodes import HARBOUR, NodeProcess, free_port

pytestmark = pytest.mark.processes


def _shell_env() -> dict[str, str]:
    """A fresh shell's environment: no HARBOUR_* settings, and no venv on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARBOUR_")}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if Path(p) != HARBOUR.parent
    )
    return env


def _hint(output: str) -> str:
    marker = "If it is lost: "
    assert marker in output, output
    return output.split(marker, 1)[1].splitlines()[0]


def test_the_lost_password_hint_of_a_settings_file_node_works_as_printed(tmp_path: Path) -> None:
    # As `make run` starts one: a relative settings file and the venv's program by path.
    (tmp_path / "node.toml").write_text(
        f'domain = "127.0.0.1:{free_port()}"\ndevelopment = true\ndata_dir = "data"\n'
    )
    venv_bin = os.path.relpath(HARBOUR, tmp_path)
    init = subprocess.run(
        f"HARBOUR_CONFIG=node.toml {venv_bin} init",
        shell=True, cwd=tmp_path, env=_shell_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    hint = _hint(init.stdout)
    assert hint == f"HARBOUR_CONFIG=node.toml {venv_bin} account password admin"

    again = subprocess.run(
        hint,
        shell=True,
        cwd=tmp_path,
        env=_shell_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("New password for @admin: ")


def test_the_lost_password_hint_of_an_environment_node_works_as_printed(
    database_url: str, tmp_path: Path
) -> None:
    node = NodeProcess(port=free_port(), data_dir=tmp_path / "node", database_url=database_url)
    init = node.run("init", process=True)
    assert init.returncode == 0, init.stderr
    again = subprocess.run(
        _hint(init.stdout), shell=True, cwd=tmp_path, env=_shell_env(),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("New password for @admin: ")


def test_piped_into_head_the_command_stops_without_a_traceback(tmp_path: Path) -> None:
    node = NodeProcess(
        port=free_port(), data_dir=tmp_path / "node", database_url=f"sqlite:///{tmp_path}/n.db"
    )
    assert node.run("init").returncode == 0
    blocklist = tmp_path / "blocks.csv"  # more output than a pipe holds (64 KiB)
    blocklist.write_text("".join(f"bad-{n}.example\n" for n in range(4000)))
    piped = subprocess.run(
        f"'{HARBOUR}' domain import '{blocklist}' --dry-run | head -n 1",
        shell=True, env=node.env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert piped.stdout.split()[-1] == "bad-0.example"
    assert piped.stderr == ""


def test_browsers_get_a_favicon_kept_for_a_week(tmp_path: Path) -> None:
    node = NodeProcess(
        port=free_port(), data_dir=tmp_path / "node", database_url=f"sqlite:///{tmp_path}/n.db"
    )
    node.start()
    try:
        with node.client() as http:
            answer = http.get("/favicon.ico")
            signed_in_looking = http.get("/favicon.ico", headers={"cookie": "harbour_session=x"})
    finally:
        node.stop()
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/vnd.microsoft.icon"
    assert answer.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert answer.headers["cache-control"] == "public, max-age=604800"
    assert signed_in_looking.headers["cache-control"] == "public, max-age=604800"


def test_the_readme_lists_every_command_and_no_other(repo_root: Path) -> None:
    def verbs(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        found = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return dict(found[0].choices) if found else {}

    commands = {
        (verb, action) for verb, sub in verbs(_parser()).items() for action in verbs(sub) or [""]
    }
    readme = (repo_root / "README.md").read_text()
    block = readme.split("### Commands", 1)[1].split("```")[1]
    listed = {
        (verb, action)
        for verb, actions in re.findall(r"harbour ([a-z0-9-]+)(?: ([a-z0-9|-]+))?", block)
        for action in (actions.split("|") if verbs(verbs(_parser())[verb]) else [""])
    }
    assert listed == commands
