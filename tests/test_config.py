import dataclasses
from pathlib import Path

import pytest

from drawgame.__main__ import main
from drawgame.config import FIELDS, Config, ConfigError, load_config


def test_defaults_without_environment(tmp_path: Path) -> None:
    config = load_config({}, env_file=tmp_path / "missing.env")
    assert config == Config()
    assert config.port == 8000
    assert config.db_path == "data/drawgame.sqlite3"


def test_values_are_parsed_and_typed(tmp_path: Path) -> None:
    config = load_config(
        {
            "DRAWGAME_PORT": "9100",
            "DRAWGAME_TRUST_PROXY_HEADERS": "yes",
            "DRAWGAME_ALLOWED_ORIGINS": "https://a.example, http://b.example:8080/",
            "DRAWGAME_SHUTDOWN_GRACE_S": "2.5",
            "DRAWGAME_ENVIRONMENT": "Staging",
        },
        env_file=tmp_path / "none",
    )
    assert config.port == 9100
    assert config.trust_proxy_headers is True
    assert config.allowed_origins == ("https://a.example", "http://b.example:8080")
    assert config.shutdown_grace_s == 2.5
    assert config.environment == "staging"


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\nDRAWGAME_PORT=7000\nexport DRAWGAME_HOST='0.0.0.0'\nDRAWGAME_LOG_LEVEL=debug\n"
    )
    config = load_config({"DRAWGAME_LOG_LEVEL": "warning"}, env_file=env_file)
    assert config.port == 7000
    assert config.host == "0.0.0.0"
    assert config.log_level == "warning"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DRAWGAME_PORT", "eighty", "an integer 0..65535"),
        ("DRAWGAME_PORT", "70000", "an integer 0..65535"),
        ("DRAWGAME_TRUST_PROXY_HEADERS", "maybe", "true or false"),
        ("DRAWGAME_LOG_FORMAT", "xml", "one of auto|json|text"),
        ("DRAWGAME_ALLOWED_ORIGINS", "example.com", "comma-separated"),
        ("DRAWGAME_SHUTDOWN_GRACE_S", "0", "seconds"),
    ],
)
def test_invalid_values_name_variable_and_form(
    tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config({variable: value}, env_file=tmp_path / "none")
    assert info.value.variable == variable
    assert expected in str(info.value)
    assert variable in str(info.value)


def test_cli_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DRAWGAME_PORT", "-1")
    assert main(["migrate", "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "DRAWGAME_PORT" in err and "0..65535" in err


def test_every_field_is_a_config_attribute_and_documented() -> None:
    names = [f.name for f in dataclasses.fields(Config)]
    assert [f.name for f in FIELDS] == names
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    missing = [f.variable for f in FIELDS if f.variable not in readme]
    assert missing == []


def test_effective_log_format() -> None:
    assert Config(environment="development").effective_log_format == "text"
    assert Config(environment="production").effective_log_format == "json"
    assert Config(environment="development", log_format="json").effective_log_format == "json"


def test_readme_table_matches_the_code() -> None:
    from drawgame.config import markdown_table

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert markdown_table() in readme


def test_metrics_allow_takes_addresses_and_networks() -> None:
    config = load_config({"DRAWGAME_METRICS_ALLOW": "10.0.0.1, 192.0.2.0/24,::1"}, Path("/none"))
    assert config.metrics_allow == ("10.0.0.1/32", "192.0.2.0/24", "::1/128")
    assert Config().metrics_allow == ("127.0.0.0/8", "::1/128")
    with pytest.raises(ConfigError) as e:
        load_config({"DRAWGAME_METRICS_ALLOW": "10.0.0.300"}, Path("/none"))
    assert e.value.variable == "DRAWGAME_METRICS_ALLOW"


def test_database_url_is_checked_and_its_password_never_shown(tmp_path: Path) -> None:
    none = tmp_path / "none.env"
    assert load_config(environ={}, env_file=none).database_url == ""
    url = "postgresql://drawgame:hunter2@db.example:5432/drawgame?sslmode=require"
    config = load_config(environ={"DRAWGAME_DATABASE_URL": url}, env_file=none)
    assert config.database_url == url
    assert "hunter2" not in repr(config)
    for bad in ("mysql://u:hunter2@h/db", "postgresql://u:hunter2@h/db?nosuch=1", "/a/path"):
        with pytest.raises(ConfigError) as caught:
            load_config(environ={"DRAWGAME_DATABASE_URL": bad}, env_file=none)
        assert "DRAWGAME_DATABASE_URL" in str(caught.value)
        assert "hunter2" not in str(caught.value)
