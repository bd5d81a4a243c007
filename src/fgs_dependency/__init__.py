"""GitHub Action: publish a dependency version to Huawei Cloud FunctionGraph.

The run is one pipeline, and the folders follow it (see __main__.py):

    inputs -> packaging -> huaweicloud (sign in, publish) -> deploy -> outputs

- `errors`: every failure the action reports; imports nothing of ours.
- `github/`: the runner interface (log lines, workflow commands, outputs, job summary);
  imports nothing of ours but errors.
- `inputs/`: reading and checking the `INPUT_*` variables.
- `packaging/`: the folder or zip to publish, as a deterministic zip.
- `huaweicloud/`: talking to IAM, OBS and FunctionGraph (signing, clients, sign-in).
- `deploy/`: publishing the version, attaching it to functions, retiring old ones.
- `outputs`: what a run tells the workflow.

Imports run one way, down this list's stages (tests/test_layout.py fails when one runs
back); no module imports its way round in a circle.
"""
