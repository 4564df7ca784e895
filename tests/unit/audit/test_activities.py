"""The register of processing activities: resolution, versions, configuration errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from stadskamer.audit.activities import ActivityRegister
from stadskamer.audit.settings import activities_file
from stadskamer.common.errors import InvalidArgument
from stadskamer.common.settings import ConfigurationError

TWO_VERSIONS = """
register_version = "t-1"
[[activities]]
id = "klantcontacten"
version = 1
title = "Oud"
operations = ["contacts.*"]
retention_days = 30
[[activities]]
id = "klantcontacten"
version = 2
title = "Nieuw"
operations = ["contacts.*"]
retention_days = 60
"""


@pytest.mark.parametrize(
    ("name", "activity"),
    [
        ("contacts.register", "klantcontacten"),
        ("contacts.history.read", "contacthistorie"),
        ("history.read", "contacthistorie"),
        ("complaints.file", "klachtbehandeling"),
        ("consent.grant", "toestemmingen"),
        ("link-grant.issue", "toestemmingen"),
        ("pseudonyms.transcrypt", "pseudonimisering"),
        ("audit.subject-access", "inzageverzoek"),
        ("audit.supervision", "privacytoezicht"),
        ("audit.retention-prune", "privacytoezicht"),
    ],
)
def test_the_packaged_register_covers_every_service(name: str, activity: str) -> None:
    register = ActivityRegister.load()
    found = register.for_operation(name)
    assert found.id == activity
    assert found.retention >= timedelta(days=365)
    assert found.purpose and found.legal_basis


def test_an_unregistered_operation_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidArgument) as raised:
        ActivityRegister.load().for_operation("bulk.export-everything", "records[3].name")
    assert raised.value.reason == "UNREGISTERED_PROCESSING"
    assert raised.value.violations[0].field == "records[3].name"


def test_the_newest_version_is_current_and_older_ones_stay_known(tmp_path: Path) -> None:
    path = tmp_path / "register.toml"
    path.write_text(TWO_VERSIONS)
    register = ActivityRegister.load(
        activities_file({"STADSKAMER_AUDIT_ACTIVITIES_FILE": str(path)})
    )
    assert register.for_operation("contacts.register").version == 2
    assert register.retention("klantcontacten", 1) == timedelta(days=30)
    assert register.retention("klantcontacten", 9) is None
    assert activities_file({}) is None


@pytest.mark.parametrize(
    "text",
    [
        "not toml [",
        'register_version = "x"\nactivities = []',
        TWO_VERSIONS.replace("version = 2", "version = 1"),
        TWO_VERSIONS.replace("retention_days = 60", "retention_days = 0"),
        TWO_VERSIONS.replace(
            'id = "klantcontacten"\nversion = 2', 'id = "Klant Contacten"\nversion = 2'
        ),
        TWO_VERSIONS.replace(
            'operations = ["contacts.*"]\nretention_days = 60',
            "operations = []\nretention_days = 60",
        ),
    ],
)
def test_a_bad_register_is_a_configuration_error_naming_the_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=r"bad\.toml"):
        ActivityRegister.load(path)
