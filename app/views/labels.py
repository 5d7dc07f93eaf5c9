"""Column labels live with the models (app/models/labels.py); views import them from here as before."""
from app.models.labels import LABELS, MODEL_LABELS, Labels, labels, labels_for  # noqa: F401
