"""Password policy after OWASP ASVS 2.1: length and a blocklist, no composition rules."""
from __future__ import annotations

from flask import current_app
from flask_appbuilder.exceptions import PasswordComplexityValidationError

# The most common passwords (and the obvious local ones) — refused whatever their length.
COMMON_PASSWORDS = {
    "123456789012", "1234567890123", "12345678901234", "123456123456", "111111111111",
    "000000000000", "password1234", "password12345", "passw0rd1234", "qwertyuiop12", "qwertyuiop123",
    "1qaz2wsx3edc", "1q2w3e4r5t6y", "qwerty123456", "abc123456789", "iloveyou1234", "admin1234567",
    "administrator", "admin@123456", "adminadmin12", "welcome12345", "letmein12345", "changeme1234",
    "zaq12wsxcde3", "asdfghjkl123", "aaaaaaaaaaaa", "abcdefghijkl", "abcd12345678", "woaini123456",
    "woaini520520", "5201314520131", "520131452013", "a123456789012", "pinglu123456", "pingluxian123",
    "fayuan123456", "fyld12345678", "12345678abcd", "88888888888888", "666666666666", "987654321098",
}


def password_problem(password: str | None) -> str | None:
    minimum = current_app.config.get("PASSWORD_MIN_LENGTH", 12) if current_app else 12
    if not password or len(password) < minimum:
        return f"密码至少需要 {minimum} 个字符（可使用中文、空格和任意符号，建议使用一句好记的长句）"
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) <= 2:
        return "该密码过于常见，容易被猜中，请换一个"
    return None


def password_policy(password: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: raises with a Chinese message."""
    problem = password_problem(password)
    if problem:
        raise PasswordComplexityValidationError(problem)
