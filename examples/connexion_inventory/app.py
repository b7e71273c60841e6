import os

import connexion

from inventory import db


def create_app() -> connexion.FlaskApp:
    app = connexion.FlaskApp(__name__, specification_dir="spec")
    app.add_api("openapi.yaml", arguments={"title": "Inventory API"}, strict_validation=True)
    app.app.config["DATABASE"] = os.environ.get("INVENTORY_DB", "/var/lib/inventory/stock.db")
    app.app.teardown_appcontext(db.close_db)
    return app


app = create_app()

if __name__ == "__main__":
    app.run(port=int(os.environ.get("PORT", "8080")))
