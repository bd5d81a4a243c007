"""The Outputs type names exactly the outputs action.yml declares: an output added on one
side only fails here, before a workflow reads an output that is never written."""

import dataclasses
from pathlib import Path

import yaml

from fgs_dependency.deploy.rollout import Deployed
from fgs_dependency.outputs import Outputs, outputs

ACTION = yaml.safe_load((Path(__file__).parents[1] / "action.yml").read_text(encoding="utf-8"))


def test_outputs_type_matches_action_yml() -> None:
    names = [field.name for field in dataclasses.fields(Outputs)]
    assert len(names) == len(set(names))
    assert set(names) == set(ACTION["outputs"])


def test_a_dry_run_without_a_package_writes_every_output() -> None:
    written = outputs(None, None, legacy_api=False, deployed=Deployed()).as_dict()
    assert set(written) == set(ACTION["outputs"])
    assert written["skipped"] == "false"
    assert (written["updated_functions"], written["deleted_versions"]) == ("[]", "[]")
    assert all(written[name] == "" for name in ("dep_id", "version", "etag", "package_path"))
