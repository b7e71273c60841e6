from flask import Response

from . import db, storage


def render_label(template: str, item_id: int):
    if template not in storage.LABEL_TEMPLATES:
        return {"detail": f"unknown label template {template!r}"}, 400
    item = db.get_item(item_id)
    if item is None:
        return {"detail": "no such item"}, 404
    layout = storage.read_label_template(template)
    body = layout.replace("{{sku}}", item["sku"]).replace("{{name}}", item["name"])
    return Response(body, mimetype="application/zpl")


def download_manual(name: str):
    data = storage.read_manual(name)
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )
