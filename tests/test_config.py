"""A technician's config mistakes each get a message naming the file, the key and the problem."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import ConfigError, IdCardConfig, KioskConfig, load_config

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


def test_assignment_is_checked_and_coerced(tmp_path: Path) -> None:
    config = load_config(environ={})
    printer = config.devices.printer
    printer.mode, printer.port, printer.timeout_s = "network", 1, 2
    assert (printer.mode, printer.port, printer.timeout_s) == ("network", 1, 2.0)
    assert isinstance(printer.timeout_s, float)
    config.terminal.data_dir = str(tmp_path)  # type: ignore[assignment]
    assert config.terminal.data_path == tmp_path
    with pytest.raises(ConfigError) as info:
        printer.mode = "fax"
    assert "mode: Input should be 'emulated', 'network', 'serial', 'usb' or 'off'" in str(
        info.value
    )
    assert printer.mode == "network"  # a refused value leaves the old one in place
    with pytest.raises(ConfigError, match=r"port: Input should be less than or equal to 65535"):
        printer.port = 70000
    with pytest.raises(ConfigError, match=r"unknown key 'prot' \(did you mean 'port'\?\)"):
        printer.prot = 9100  # type: ignore[attr-defined]


def test_model_copy_checks_the_update_and_leaves_the_original() -> None:
    idcard = IdCardConfig()
    serial = idcard.model_copy(update={"mode": "serial", "baudrate": 9600})
    assert (serial.mode, serial.baudrate) == ("serial", 9600) and idcard.mode == "emulated"
    with pytest.raises(ConfigError) as info:
        idcard.model_copy(update={"baudrate": 1234, "mode": "usb"})
    message = str(info.value)  # every problem at once, as `kiosk idcard read --baud` shows it
    assert "baudrate: Input should be 9600, 19200, 38400, 57600 or 115200 (got 1234)" in message
    assert "mode: Input should be 'emulated', 'serial' or 'off' (got 'usb')" in message


def test_deep_copy_does_not_share_sections_with_the_original() -> None:
    config = load_config(environ={})
    changed = config.model_copy(deep=True)
    changed.devices.camera.mode = "off"
    changed.staff.card_numbers.append("6217000000000000")
    assert config.devices.camera.mode == "emulated" and config.staff.card_numbers == []
    assert load_config(environ={}).staff.card_numbers == []  # defaults are not shared either
    assert changed != config and config == load_config(environ={})


def test_a_boolean_is_not_a_number(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "[devices.printer]\nport = true\nwidth_chars = 32.5\n"))
    assert "devices.printer.port: Input should be a valid integer (got True)" in message
    assert "devices.printer.width_chars" in message and "fractional part" in message
    message = error_of(environ={"KIOSK_UI__COUNTDOWN_S": "false"})
    assert "ui.countdown_s: Input should be a valid number (got False)" in message


def test_quoted_numbers_are_refused_and_whole_floats_accepted(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "[devices.printer]\nport = '9100'\n"))
    assert "devices.printer.port: Input should be a valid integer (got '9100')" in message
    config = load_config(write(tmp_path, "[devices.printer]\nport = 9101.0\n"), environ={})
    assert config.devices.printer.port == 9101 and isinstance(config.devices.printer.port, int)


def test_card_number_list_errors_name_the_item(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "[staff]\ncard_numbers = ['6217000000000000', 42]\n"))
    assert "staff.card_numbers.1: Input should be a valid string (got 42)" in message
    message = error_of(environ={"KIOSK_STAFF__CARD_NUMBERS": "6217000000000000"})
    assert "staff.card_numbers: Input should be a valid list" in message
    assert "[set by environment variable KIOSK_STAFF__CARD_NUMBERS]" in message
    env = {"KIOSK_STAFF__CARD_NUMBERS": "['6217000000000000']"}
    assert load_config(environ=env).staff.card_numbers == ["6217000000000000"]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = "[terminal]\nid = ''\n[ui]\ncountdown_s = 5\nlanguage = 'fr'\n[camera]\nfps = 15\n"
    message = error_of(write(tmp_path, text))
    assert message.startswith(f"config error in {tmp_path / 'kiosk.toml'}:")
    assert "terminal.id: String should have at least 1 character (got '')" in message
    assert "ui.countdown_s" in message and "ui.language" in message
    assert "unknown key 'camera'" in message
    assert len(message.splitlines()) == 5


def test_environment_booleans_accept_yes_and_no() -> None:
    config = load_config(environ={"KIOSK_UI__MOUSE": "no", "KIOSK_UI__ELDER_MODE": "yes"})
    assert config.ui.mouse is False and config.ui.elder_mode is True
    message = error_of(environ={"KIOSK_UI__MOUSE": "maybe"})
    assert "ui.mouse: Input should be a valid boolean (got 'maybe')" in message


def test_loopback_platform_may_use_plain_http() -> None:
    config = KioskConfig.model_validate({"platform": {"url": "http://127.0.0.1:8700"}})
    assert config.platform.url == "http://127.0.0.1:8700"
    with pytest.raises(ConfigError, match="must start with https://"):
        config.platform.url = "http://zwfw.example.gov.cn/api"


def test_importing_the_config_does_not_load_pydantic() -> None:
    code = "import sys, kiosk.config; print('pydantic' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
