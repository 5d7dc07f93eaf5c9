"""府院联动 — web panel of the enterprise-bankruptcy government–court coordination mechanism."""


def create_app(config_overrides=None):
    from app.factory import build_app

    return build_app(config_overrides)
