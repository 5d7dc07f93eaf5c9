"""Labels belong to the models they describe: one column name, each model's own wording (issue 16)."""
from app import models as m
from app.services.validation import column_label


def test_the_same_column_name_reads_as_its_model_means_it():
    assert column_label(m.ExtensionRequest, "reason") == "延期理由"
    assert column_label(m.Meeting, "reason") == "提议理由"
    assert column_label(m.Setting, "description") == "说明"
    assert column_label(m.ClueReport, "description") == "线索描述"
    assert column_label(m.Case, "case_number") == "案号"  # the shared wording where nothing differs


def test_pages_and_the_api_use_the_models_wording(app, clients):
    settings_page = clients.web("admin").get("/settingview/list/").get_data(as_text=True)
    assert "线索描述" not in settings_page
    info = clients.api("office").get("/api/v1/meeting/_info").json
    assert {c["name"]: c["label"] for c in info["add_columns"]}["kind"] == "会议类型"
