"""The demo service hall: which letter and windows serve each category. The reference
platform numbers its tickets by it, and the terminal uses it for its own numbers offline."""

TICKET_PREFIX = {
    "social_security": ("A", "社保医保窗口 A1–A4"),
    "medical_insurance": ("B", "社保医保窗口 A1–A4"),
    "housing_fund": ("C", "公积金窗口 C1–C2"),
    "household": ("D", "公安户政窗口 D1–D3"),
    "real_estate": ("E", "不动产登记窗口 E1–E4"),
    "tax": ("F", "税务窗口 F1–F3"),
    "marriage_birth": ("G", "婚姻登记处 G1"),
    "exit_entry": ("H", "出入境窗口 H1–H2"),
    "traffic": ("J", "车驾管窗口 J1–J3"),
    "civil_affairs": ("K", "民政窗口 K1"),
}
