"""Configuration files: profiles merge, and every mistake names the file, line and key."""

from __future__ import annotations

import pytest

from qnb.config import ConfigError, load_config


def write(path, text):
    path.write_text(text)
    return path


def test_builtin_aer_is_the_default(qnb_home):
    cfg = load_config()
    assert cfg.default_backend == "aer" and cfg.profile(None).provider == "aer"


def test_project_file_overrides_user_file(qnb_home, tmp_path):
    write(qnb_home / "config.toml", '[backends.mps]\nprovider = "aer"\nmethod = "statevector"\n')
    write(tmp_path / "work" / "qnb.toml",
          'default_backend = "mps"\n[backends.mps]\nprovider = "aer"\nmethod = "matrix_product_state"\n')
    cfg = load_config()
    assert cfg.default_backend == "mps"
    assert cfg.profile(None).options == {"method": "matrix_product_state"}
    assert cfg.profile("mps").source.endswith("qnb.toml")


@pytest.mark.parametrize(("text", "expected"), [
    ('[backends.x]\nprovider = "aer"\nmethod = 3\n',
     "config.toml, line 3: backends.x.method: backend 'x': wrong type int, expected str"),
    ('[backends.x]\nprovider = "aer"\nspeed = "fast"\n',
     "config.toml, line 3: backends.x.speed: backend 'x': unknown field"),
    ('[backends.x]\nmethod = "statevector"\n',
     "config.toml, line 1: backends.x: missing field 'provider'"),
    ('[backends.x]\nprovider = "warp-drive"\n',
     "config.toml, line 2: backends.x.provider: backend 'x': unknown provider 'warp-drive'"),
    ('colour = "blue"\n', "config.toml, line 1: colour: unknown key"),
    ('[runner]\nidle_timeout = "long"\n',
     "config.toml, line 2: runner.idle_timeout: wrong type str"),
    ('[runner]\nkeep_days = 0\n', "config.toml, line 2: runner.keep_days: must be positive"),
    ('[backends.x\nprovider = "aer"\n', "config.toml: not valid TOML"),
    ('default_backend = "nowhere"\n', "default_backend 'nowhere' is not a configured backend"),
    ('[backends.x]\nprovider = "aer"\noptimization_level = 7\n',
     "line 3: backends.x.optimization_level: backend 'x': must be 0, 1, 2 or 3"),
])
def test_mistakes_name_file_line_and_key(qnb_home, text, expected):
    write(qnb_home / "config.toml", text)
    with pytest.raises(ConfigError) as err:
        load_config()
    assert expected in str(err.value)
    assert str(qnb_home / "config.toml") in str(err.value) or "default_backend" in expected


def test_broken_toml_gives_the_line(qnb_home):
    write(qnb_home / "config.toml", 'default_backend = "aer"\n[backends.x]\nprovider = aer\n')
    with pytest.raises(ConfigError, match=r"line 3"):
        load_config()


def test_a_broken_config_is_a_clear_submit_error(qnb_home):
    from helpers import bell

    import qnb
    from qnb.models import SubmitError

    write(qnb_home / "config.toml", '[backends.x]\nprovider = "aer"\nmethod = 3\n')
    with pytest.raises(SubmitError, match="line 3: backends.x.method"):
        qnb.submit(bell())
