"""Entry point: `flask --app run …` for the CLI, `python run.py` for a development server."""
from app import create_app

app = create_app()

if __name__ == "__main__":
    app.run(host=app.config["HOST"], port=app.config["PORT"])
