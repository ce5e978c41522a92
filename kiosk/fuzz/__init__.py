"""Fuzzing the parsers that face the outside: random and mutated inputs, crashes counted.

`kiosk fuzz [--target NAME] [--inputs N]` runs each target on N inputs (seeded, so a run can
be repeated) and prints, per target, how many inputs ran and how many crashed, with the first
crashing inputs. A crash is anything but the target's documented error: ConfigError for the
config and its URLs, PlatformError for the platform client, None-or-seconds for Retry-After,
TlvError/ApduError/DeviceError for the card readers, a 4xx for the server, a reason code for
the face check. No coverage guidance (no atheris, no hypothesis): plain random generation
and mutation of valid seeds, plus the known nasty shapes (deep nesting, huge lengths).
"""
