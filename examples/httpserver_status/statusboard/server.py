import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import jobs, logs, pages, probes, reports
from .config import JOBS


class StatusHandler(BaseHTTPRequestHandler):
    server_version = "StatusBoard/0.9"

    get_routes = {
        "/": "show_index",
        "/logs": "show_log",
        "/reports": "show_report",
        "/history": "show_history",
    }
    post_routes = {
        "/hosts/check": "check_host",
        "/jobs/run": "start_job",
    }

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        route = self.get_routes.get(url.path)
        if route is None:
            self.send_error(404)
            return
        params = {key: values[0] for key, values in parse_qs(url.query).items()}
        getattr(self, route)(params)

    def do_POST(self) -> None:
        route = self.post_routes.get(urlsplit(self.path).path)
        if route is None:
            self.send_error(404)
            return
        length = int(self.headers.get("Content-Length", "0"))
        payload = json.loads(self.rfile.read(length) or b"{}")
        getattr(self, route)(payload)

    def show_index(self, params: dict) -> None:
        self._send_html(pages.index_page(self.headers.get("User-Agent", "unknown")))

    def show_log(self, params: dict) -> None:
        name = params.get("name", "deploy.log")
        self._send_html(pages.log_page(name, logs.tail_log(name)))

    def show_report(self, params: dict) -> None:
        try:
            data = reports.read_report(params.get("name", "latest.json"))
        except (PermissionError, FileNotFoundError):
            self.send_error(404)
            return
        self._send(200, "application/json", data)

    def show_history(self, params: dict) -> None:
        term = params.get("q", "")
        table = pages.history_table(logs.search_history(term))
        self._send_html(pages.layout("History", f"<h1>Jobs matching {term}</h1>{table}"))

    def check_host(self, payload: dict) -> None:
        ok, output = probes.ping_host(payload.get("host", "localhost"))
        self._send_json({"reachable": ok, "output": output})

    def start_job(self, payload: dict) -> None:
        name = payload.get("job", "")
        if name not in JOBS:
            self._send_json({"error": f"unknown job {name}"}, status=400)
            return
        self._send_json(jobs.run_job(name))

    def _send_html(self, page: str) -> None:
        self._send(200, "text/html; charset=utf-8", page.encode("utf-8"))

    def _send_json(self, data: dict, status: int = 200) -> None:
        self._send(status, "application/json", json.dumps(data).encode("utf-8"))

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    parser = argparse.ArgumentParser(description="Status Board")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8008)
    args = parser.parse_args()
    ThreadingHTTPServer((args.host, args.port), StatusHandler).serve_forever()


if __name__ == "__main__":
    main()
