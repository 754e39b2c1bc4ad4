"""Settings: where the database and data live, and the learner's tunables."""

import pytest
from dltui.settings import SettingsError, load_settings, project_root


def test_checkout_default_is_data_tutor_db():
    settings = load_settings(env={})
    assert settings.db_path == project_root() / "data" / "tutor.db"
    assert settings.data_dir == project_root() / "data"


def test_data_folder_follows_the_database_unless_set(tmp_path):
    settings = load_settings(env={"DLTUI_DB": str(tmp_path / "elsewhere" / "my.db")})
    assert settings.db_path == tmp_path / "elsewhere" / "my.db"
    assert settings.runs_dir == tmp_path / "elsewhere" / "runs"
    explicit = load_settings(tmp_path / "a.db", env={"DLTUI_DB": "/ignored.db", "DLTUI_DATA_DIR": str(tmp_path / "d")})
    assert explicit.db_path == tmp_path / "a.db" and explicit.sessions_dir == tmp_path / "d" / "sessions"


def test_settings_file_then_environment(tmp_path):
    (tmp_path / "settings.toml").write_text("new_cards_per_day = 30\ndesired_retention = 0.85\nmlflow = true\n")
    settings = load_settings(tmp_path / "tutor.db", env={"DLTUI_RETENTION": "0.95"})
    assert (settings.new_cards_per_day, settings.desired_retention, settings.mlflow) == (30, 0.95, True)


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DLTUI_RETENTION": "2"}, "desired_retention must be between"),
        ({"DLTUI_NEW_PER_DAY": "lots"}, "new_cards_per_day: 'lots' is not a valid int"),
        ({"DLTUI_TUTOR": "gpt"}, "tutor must be auto, claude or offline"),
        ({"DLTUI_DAY_STARTS_AT": "25"}, "day_starts_at_hour"),
    ],
)
def test_bad_values_say_which_setting(tmp_path, env, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(tmp_path / "tutor.db", env=env)


def test_unknown_or_broken_settings_file(tmp_path):
    (tmp_path / "settings.toml").write_text("colour = 'blue'\n")
    with pytest.raises(SettingsError, match="unknown setting 'colour'"):
        load_settings(tmp_path / "tutor.db", env={})
    (tmp_path / "settings.toml").write_text("new_cards_per_day = \n")
    with pytest.raises(SettingsError, match="settings.toml"):
        load_settings(tmp_path / "tutor.db", env={})


def test_api_key_is_never_part_of_the_settings_record(monkeypatch, tmp_path):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret")
    settings = load_settings(tmp_path / "tutor.db", env={})
    assert settings.api_key() == "sk-ant-secret"
    assert "sk-ant-secret" not in repr(settings)
