"""vulnhuntr: find remotely exploitable vulnerabilities in Python web applications."""

__version__ = "0.1.0"

from .config import Settings, load_settings  # noqa: E402
from .errors import ConfigError, UsageError, VulnhuntrError  # noqa: E402
from .scan import ScanResult, scan  # noqa: E402

__all__ = ["ConfigError", "ScanResult", "Settings", "UsageError", "VulnhuntrError", "load_settings", "scan"]
