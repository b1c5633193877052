import os
import stat
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from ondas.core.env import env_bool, env_list, secret_key


def test_env_bool_reads_common_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in [("1", True), ("yes", True), ("0", False), ("", False)]:
        monkeypatch.setenv("ONDAS_X", raw)
        assert env_bool("ONDAS_X") is expected


def test_env_bool_refuses_ambiguous_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONDAS_X", "maybe")
    with pytest.raises(ImproperlyConfigured, match="ONDAS_X must be a boolean"):
        env_bool("ONDAS_X")


def test_env_list_splits_and_trims(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONDAS_X", " a.example, ,b.example ")
    assert env_list("ONDAS_X", []) == ["a.example", "b.example"]


def test_secret_key_is_generated_once_and_kept_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ONDAS_SECRET_KEY", raising=False)
    first = secret_key(data_dir=tmp_path / "data")
    assert len(first) >= 50
    assert secret_key(data_dir=tmp_path / "data") == first
    mode = stat.S_IMODE(os.stat(tmp_path / "data" / "secret_key").st_mode)
    assert mode == 0o600


def test_secret_key_from_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONDAS_SECRET_KEY", "from-env")
    assert secret_key(data_dir=tmp_path) == "from-env"
    assert not (tmp_path / "secret_key").exists()
