import subprocess


def ping_host(host: str, count: int = 1) -> tuple[bool, str]:
    result = subprocess.run(
        f"ping -c {count} -W 2 {host}",
        shell=True,
        capture_output=True,
        text=True,
        timeout=15,
    )
    return result.returncode == 0, result.stdout
