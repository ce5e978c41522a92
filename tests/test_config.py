"""A technician's config mistakes each get a message naming the file, the key and the problem."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def error_of(path: Path | str | None = None, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, environ=environ or {})
    return str(info.value)


def test_embedded_defaults_are_all_emulated_and_builtin() -> None:
    config = load_config(environ={})
    assert config.source == "embedded defaults"
    assert {config.devices.idcard.mode, config.devices.smartcard.mode} == {"emulated"}
    assert {config.devices.printer.mode, config.devices.camera.mode} == {"emulated"}
    assert config.platform.mode == "builtin"


def test_shipped_config_states_the_embedded_defaults() -> None:
    shipped = load_config(REPO / "config" / "kiosk.toml", environ={})
    assert shipped.model_dump() == load_config(environ={}).model_dump()


def test_example_real_hardware_config_is_valid() -> None:
    config = load_config(REPO / "config" / "examples" / "real-hardware.toml", environ={})
    assert config.devices.idcard.mode == "serial"
    assert config.platform.url.startswith("https://")


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[ui]\nlanguage = \n")
    message = error_of(path)
    assert str(path) in message and "not valid TOML" in message and "line 2" in message


def test_unknown_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "[devices.printr]\nmode = 'network'\n"))
    assert "unknown key 'devices.printr'" in message
    assert "did you mean 'devices.printer'" in message


def test_wrong_type_names_key_and_value(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "[devices.printer]\nport = 'nine-one-hundred'\n"))
    assert "devices.printer.port" in message and "'nine-one-hundred'" in message
    assert "valid integer" in message


def test_out_of_range_countdown_is_refused(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "[ui]\ncountdown_s = 5\n"))
    assert "ui.countdown_s" in message and "greater than or equal to 20" in message


def test_bad_choice_lists_the_allowed_values(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "[devices.idcard]\nmode = 'usb'\n"))
    assert "devices.idcard.mode" in message and "'emulated', 'serial' or 'off'" in message


def test_plain_http_to_a_remote_platform_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "[platform]\nmode='remote'\nurl = 'http://zwfw.example.gov.cn'\n")
    assert "platform.url" in error_of(path) and "https://" in error_of(path)


def test_missing_and_binary_files(tmp_path: Path) -> None:
    assert "not found" in error_of(tmp_path / "nope.toml")
    assert "not UTF-8" in error_of(write(tmp_path, b"\xff\xfe[ui]"))


def test_environment_overrides_and_names_the_variable() -> None:
    config = load_config(
        environ={"KIOSK_DEVICES__PRINTER__MODE": "network", "KIOSK_UI__ELDER_MODE": "true"}
    )
    assert config.devices.printer.mode == "network" and config.ui.elder_mode is True
    message = error_of(environ={"KIOSK_DEVICES__PRINTER__PORT": "abc"})
    assert "KIOSK_DEVICES__PRINTER__PORT" in message and "devices.printer.port" in message


def test_config_file_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "[terminal]\nname = '村级便民服务点'\n")
    assert load_config(environ={"KIOSK_CONFIG": str(path)}).terminal.name == "村级便民服务点"


@pytest.mark.parametrize("command", [["run"], []])
def test_cli_stops_on_a_broken_config_without_a_traceback(
    tmp_path: Path, command: list[str]
) -> None:
    path = write(tmp_path, "[ui]\nlanguage = 'fr'\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk", "--config", str(path), *command],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2
    assert str(path) in proc.stderr and "ui.language" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_version() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk", "--version"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and proc.stdout.startswith("kiosk ")
