from flask import Flask, abort, jsonify, request

from jobrunner import actions, media, registry, tasks  # noqa: F401

app = Flask(__name__)
ADMIN_ACTIONS = {"refresh_cache", "mirror_feed"}


@app.post("/webhooks/media")
def media_webhook():
    event = request.get_json(force=True)
    handler = media.HANDLERS.get(event.get("type", ""))
    if handler is None:
        abort(400, "unknown event type")
    return jsonify(handler(event.get("payload", {})))


@app.post("/tasks/<name>")
def run_task(name: str):
    try:
        return jsonify(registry.run(name, request.get_json(force=True)))
    except LookupError:
        abort(404)


@app.post("/admin/actions/<name>")
def admin_action(name: str):
    if name not in ADMIN_ACTIONS:
        abort(404)
    action = getattr(actions, name)
    return jsonify(action(request.get_json(force=True)))


@app.get("/tasks")
def list_tasks():
    return jsonify(sorted(registry.TASKS))
